"""`JpDate`: a date as the 住民記録 standard needs it (standards.md §2.3).

Besides exact dates, the standard requires accepting **non-calendar dates** (2月30日, to match 戸籍) and
**不詳 dates** (令和2年頃, 推定…, 年月日不詳, ranges …). A `JpDate` keeps three things and nothing else:

- ``raw``: the text as written (never rewritten: it is legal data),
- ``kind``: exact / non_calendar / unknown (不詳),
- ``iso``: a best-effort ISO date for sorting and querying (None only for 年月日不詳).

Everything else (era as written, display forms) is derived by re-parsing ``raw``, so the three fields are all
that str / JSON / DB forms need to carry for a lossless round trip.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from calendar import monthrange
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any, Literal

from lgcloud.codes.eras import Era, era, era_of, eras, format_era_year, format_wareki, kanji_number, to_wareki
from lgcloud.codes.errors import CodesError

MAX_RAW_LENGTH = 100
#: 西暦 years accepted. The upper bound keeps every date expressible as 令和 with at most 3 digits.
MIN_YEAR, MAX_YEAR = 1000, 2999


class DateKind(StrEnum):
    EXACT = "exact"  #: a real calendar date (within its era when written in 和暦)
    NON_CALENDAR = "non_calendar"  #: complete but not on the calendar: 2月30日, 平成31年5月1日, 明治5年 (旧暦)
    UNKNOWN = "unknown"  #: 不詳: partial, approximate, estimated, a range, or 年月日不詳


# Best-effort month of a season and day of a 旬, used only for the sortable ``iso``.
_SEASON_MONTH = {"春": 3, "夏": 6, "秋": 9, "冬": 12}
_JUN_DAY = {"上旬": 1, "初旬": 1, "中旬": 11, "下旬": 21}


@dataclass(frozen=True)
class _Point:
    """One possibly partial date; ``year`` is always 西暦, ``era`` the era it was written in (None: 西暦)."""

    era: Era | None
    year: int
    month: int | None = None
    day: int | None = None

    @property
    def complete(self) -> bool:
        return self.month is not None and self.day is not None


@dataclass(frozen=True)
class _Shape:
    """What a date text says, structurally. ``start`` None means 年月日不詳."""

    start: _Point | None
    estimated: bool = False  # 推定…
    approx: bool = False  # …頃
    part: str | None = None  # 上旬/中旬/下旬/春/夏/秋/冬
    unknown_tail: bool = False  # 月日不詳 / 日不詳 written out
    end: _Point | None = None  # …から…までの間

    @property
    def kind(self) -> DateKind:
        s = self.start
        if s is None or self.estimated or self.approx or self.part or self.unknown_tail or self.end:
            return DateKind.UNKNOWN
        if not s.complete:
            return DateKind.UNKNOWN
        return DateKind.EXACT if _exact_date(s) is not None else DateKind.NON_CALENDAR


def _exact_date(p: _Point) -> dt.date | None:
    """The calendar date of a complete point, or None when it is not on the calendar (or not in its era)."""
    assert p.month is not None and p.day is not None
    try:
        day = dt.date(p.year, p.month, p.day)
    except ValueError:
        return None
    if p.era is not None and not p.era.contains(day):
        return None
    return day


def _best_effort(shape: _Shape) -> dt.date | None:
    """A real date near the start of what the text means, for sorting; day clamped to the month's end."""
    p = shape.start
    if p is None:
        return None
    month = p.month or _SEASON_MONTH.get(shape.part or "", 1)
    day = p.day or _JUN_DAY.get(shape.part or "", 1)
    return dt.date(p.year, month, min(day, monthrange(p.year, month)[1]))


# --- parsing ------------------------------------------------------------------------------------------

_KANJI_RUN = re.compile("[〇一二三四五六七八九十]+")
_ERA_NAMES = "明治|大正|昭和|平成|令和|明|大|昭|平|令|M|T|S|H|R"
_YEAR = rf"(?:(?P<era>{_ERA_NAMES})(?P<ey>元|\d{{1,3}})|(?:西暦)?(?P<wy>\d{{4}}))"
_POINT_FORMS = (
    re.compile(rf"{_YEAR}年(?:(?P<m>\d{{1,2}})月(?:(?P<d>\d{{1,2}})日)?)?"),
    re.compile(rf"{_YEAR}[./-](?P<m>\d{{1,2}})(?:[./-](?P<d>\d{{1,2}}))?"),
    re.compile(r"(?P<code>[1-9])(?P<ey>\d{2})(?P<m>\d{2})(?P<d>\d{2})"),  # GYYMMDD, 1-digit era code
    re.compile(r"(?P<code>0[1-9])(?P<ey>\d{2})(?P<m>\d{2})(?P<d>\d{2})"),  # GGYYMMDD, 2-digit era code
    re.compile(r"(?P<era>[MTSHR])(?P<ey>\d{2})(?P<m>\d{2})(?P<d>\d{2})"),  # R050301
    re.compile(r"(?P<wy>[1-9]\d{3})(?P<m>\d{2})(?P<d>\d{2})"),  # YYYYMMDD
)
# The end of a range may leave out the year and month it shares with the start (…から3月10日頃までの間).
_END_FORMS = (re.compile(r"(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})日)?"), re.compile(r"(?P<d>\d{1,2})日"))
_RANGE = re.compile(r"(?P<a>.+?)(?:から|~|〜)(?P<b>.+?)(?:まで(?:の間)?)?")
_ALL_UNKNOWN = ("年月日不詳", "不詳", "生年月日不詳")


def _kanji_to_int(run: str) -> int:
    if "十" not in run:  # positional: 二〇二三
        return int("".join(str("〇一二三四五六七八九".index(c)) for c in run))
    tens, _, ones = run.partition("十")
    return (_kanji_to_int(tens) if tens else 1) * 10 + (_kanji_to_int(ones) if ones else 0)


def _normalize(text: str) -> str:
    """The parsing form: NFKC (full-width digits, ㍻), no spaces, ASCII digits for kanji numerals.

    Only the parser sees this; ``raw`` keeps the original text.
    """
    s = unicodedata.normalize("NFKC", text)
    s = re.sub(r"\s+", "", s).replace("ころ", "頃").upper()
    return _KANJI_RUN.sub(lambda m: str(_kanji_to_int(m.group())), s)


def _bad(text: str, why: str) -> CodesError:
    return CodesError(f"日付「{text}」を解釈できません: {why}", code="codes-bad-date", value=text)


def _point_from_match(m: re.Match[str], text: str) -> _Point:
    groups = m.groupdict()
    month = int(groups["m"]) if groups.get("m") else None
    day = int(groups["d"]) if groups.get("d") else None
    # Legacy fixed-width files write an unknown month or day as 00.
    month, day = (month or None), (day or None)
    if month is None:
        day = None
    if groups.get("wy"):
        return _checked(_Point(None, int(groups["wy"]), month, day), None, text)
    e = era(groups.get("code") or groups["era"])
    era_year = 1 if groups["ey"] == "元" else int(groups["ey"])
    return _checked(_Point(e, e.western_year(era_year), month, day), era_year, text)


def _checked(p: _Point, era_year: int | None, text: str) -> _Point:
    if p.month is not None and not 1 <= p.month <= 12:
        raise _bad(text, f"{p.month}月はありません")
    if p.day is not None and not 1 <= p.day <= 31:
        raise _bad(text, f"{p.day}日はありません")
    if era_year is not None and p.era is not None:
        last = p.era.last_year or 999
        if not 1 <= era_year <= last:
            raise _bad(text, f"{p.era.name}{era_year}年はありません")
    if p.era is None and not MIN_YEAR <= p.year <= MAX_YEAR:
        raise _bad(text, f"西暦{p.year}年は扱える範囲（{MIN_YEAR}〜{MAX_YEAR}年）の外です")
    return p


def _parse_point(s: str, text: str) -> _Point:
    for form in _POINT_FORMS:
        m = form.fullmatch(s)
        if m:
            try:
                return _point_from_match(m, text)
            except CodesError as exc:
                if exc.code == "codes-unknown-era":
                    raise _bad(text, exc.message) from exc
                raise
    raise _bad(text, "日付の書き方が分かりません")


def _parse_end(s: str, start: _Point, text: str) -> _Point:
    for form in _END_FORMS:
        m = form.fullmatch(s)
        if m:
            groups = m.groupdict()
            month = int(groups["m"]) if groups.get("m") else start.month
            if month is None:
                raise _bad(text, "期間の終わりの月が分かりません")
            day = int(groups["d"]) if groups.get("d") else None
            return _checked(_Point(start.era, start.year, month, day), None, text)
    return _parse_point(s, text)


def _strip_suffix(s: str, suffixes: tuple[str, ...]) -> tuple[str, str | None]:
    for suffix in suffixes:
        if s.endswith(suffix) and len(s) > len(suffix):
            return s[: -len(suffix)], suffix
    return s, None


def _latest(p: _Point) -> dt.date:
    """The last real day a partial point can mean (令和2年3月 → 3月31日), to check a range's order."""
    month = p.month or 12
    last_day = monthrange(p.year, month)[1]
    return dt.date(p.year, month, min(p.day or last_day, last_day))


def _parse_range(a: str, b: str, estimated: bool, text: str) -> _Shape:
    start = _parse_point(a, text)
    b, approx = _strip_suffix(b, ("頃",))
    end = _parse_end(b, start, text)
    first = _best_effort(_Shape(start))
    if first is not None and _latest(end) < first:
        raise _bad(text, "期間の終わりが始まりより前です")
    return _Shape(start, estimated=estimated, approx=approx is not None, end=end)


def _strip_unknown_tail(s: str) -> tuple[str, bool]:
    """令和2年月日不詳 → 令和2年; 令和2年3月日不詳 → 令和2年3月 (spaces are already gone)."""
    if not s.endswith("日不詳") or s == "日不詳":
        return s, False
    head = s.removesuffix("日不詳")
    return (head.removesuffix("月") if head.endswith("年月") else head), True


def _parse_single(s: str, estimated: bool, text: str) -> _Shape:
    s, approx = _strip_suffix(s, ("頃",))
    s, part = _strip_suffix(s, ("上旬", "初旬", "中旬", "下旬", "春", "夏", "秋", "冬"))
    s, tail = _strip_unknown_tail(s)
    point = _parse_point(s, text)
    if part in _JUN_DAY and (point.month is None or point.day is not None):
        raise _bad(text, f"{part}は年月の後に書きます")
    if part in _SEASON_MONTH and point.month is not None:
        raise _bad(text, f"{part}は年の後に書きます")
    if tail and point.day is not None:
        raise _bad(text, "日まで分かっているのに不詳とされています")
    return _Shape(point, estimated, approx is not None, part, tail)


@lru_cache(maxsize=65_536)  # migrations repeat the same dates (birth dates) millions of times
def _parse_shape(text: str) -> _Shape:
    s = _normalize(text)
    if not s:
        raise _bad(text, "空です")
    if s in _ALL_UNKNOWN:
        return _Shape(None)
    estimated = s.startswith("推定")
    s = s.removeprefix("推定")
    ranged = _RANGE.fullmatch(s)
    if ranged:
        return _parse_range(ranged["a"], ranged["b"], estimated, text)
    return _parse_single(s, estimated, text)


# --- rendering -----------------------------------------------------------------------------------------


def _num(n: int, kanji: bool) -> str:
    return kanji_number(n) if kanji else str(n)


def _era_or_none(day: dt.date | None) -> Era | None:
    """The era of a 西暦 date, None before 明治6年 (旧暦), where 和暦 display falls back to 西暦."""
    if day is None or day < eras()[0].start:
        return None
    return era_of(day)


def _year_text(p: _Point, western: bool, kanji: bool) -> str:
    """年 part of a point: the era as written, or the era of the point when converting 西暦 to 和暦."""
    e = None if western else p.era or _era_or_none(_best_effort(_Shape(p)))
    if e is None:
        return f"{p.year}年"
    return f"{e.name}{format_era_year(e.era_year(p.year), kanji=kanji)}年"


def _point_text(p: _Point, western: bool, kanji: bool) -> str:
    out = _year_text(p, western, kanji)
    if p.month is not None:
        out += f"{_num(p.month, kanji)}月"
    if p.day is not None:
        out += f"{_num(p.day, kanji)}日"
    return out


def _end_text(end: _Point, start: _Point, western: bool, kanji: bool) -> str:
    """The end of a range, leaving out the year when it is the start's (as the standard's example does)."""
    if (end.era, end.year) != (start.era, start.year) or end.month is None:
        return _point_text(end, western, kanji)
    return f"{_num(end.month, kanji)}月" + (f"{_num(end.day, kanji)}日" if end.day is not None else "")


def _render(shape: _Shape, western: bool, kanji: bool = False) -> str:
    p = shape.start
    if p is None:
        return "年月日不詳"
    out = ("推定" if shape.estimated else "") + _point_text(p, western, kanji) + (shape.part or "")
    if shape.unknown_tail:
        out += " 月日不詳" if p.month is None else " 日不詳"
    if shape.end is not None:
        return out + "から" + _end_text(shape.end, p, western, kanji) + ("頃" if shape.approx else "") + "までの間"
    return out + ("頃" if shape.approx else "")


def _kind(value: object) -> DateKind:
    if isinstance(value, str) and value in {k.value for k in DateKind}:
        return DateKind(value)
    raise CodesError(f"日付の種類 {value!r} はありません", code="codes-bad-db-date")


# --- the value object -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class JpDate:
    """A 住民記録 date: ``raw`` text, ``kind`` and best-effort ``iso``. Build it with `JpDate.parse`."""

    raw: str
    kind: DateKind
    iso: str | None
    _shape: _Shape | None = field(default=None, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        # from_db / from_json build values without parsing; refuse fields no parse could have produced.
        object.__setattr__(self, "kind", _kind(self.kind))
        try:
            if self.iso is not None:
                dt.date.fromisoformat(self.iso)
        except (ValueError, TypeError) as exc:
            raise CodesError(f"日付の値が壊れています: {self.kind!r} {self.iso!r}", code="codes-bad-db-date") from exc
        if not isinstance(self.raw, str) or not self.raw:
            raise CodesError("日付の原文がありません", code="codes-bad-db-date")

    # construction

    @classmethod
    def parse(cls, text: str, *, exact_only: bool = False) -> JpDate:
        """Parse any accepted form. ``exact_only`` for the dates the standard requires to be on the calendar.

        ``raw`` is the text with only its outer whitespace (fixed-width padding) removed.
        """
        if not isinstance(text, str):
            raise CodesError("日付は文字列で指定してください", code="codes-bad-date")
        raw = text.strip()
        if len(raw) > MAX_RAW_LENGTH:
            raise _bad(raw[:20] + "…", f"{MAX_RAW_LENGTH}文字を超えています")
        shape = _parse_shape(raw)
        best = _best_effort(shape)
        result = cls(raw, shape.kind, best.isoformat() if best else None, shape)
        if exact_only and result.kind is not DateKind.EXACT:
            raise CodesError(
                f"「{raw}」は暦にある日付ではありません（不詳・暦にない日付はこの項目に使えません）",
                code="codes-date-not-exact",
                value=raw,
            )
        return result

    @classmethod
    def from_date(cls, day: dt.date, calendar: Literal["wareki", "western"] = "wareki") -> JpDate:
        """An exact date, written 和暦 (日本人) or 西暦 (外国人 生年月日, 在留期間満了日)."""
        text = to_wareki(day) if calendar == "wareki" else f"{day.year}年{day.month}月{day.day}日"
        return cls.parse(text)

    @classmethod
    def unknown(cls) -> JpDate:
        return cls.parse("年月日不詳")

    # serialisation: str / DB string / JSON

    def __str__(self) -> str:
        return self.raw

    def to_db(self) -> str:
        """``iso|kind|raw``: one string that sorts by date (年月日不詳 last) and round-trips without loss."""
        return f"{self.iso or ''}|{self.kind.value}|{self.raw}"

    @classmethod
    def from_db(cls, value: str) -> JpDate:
        try:
            iso, kind, raw = value.split("|", 2)
        except (ValueError, AttributeError) as exc:
            raise CodesError(f"日付の保存形式ではありません: {value!r}", code="codes-bad-db-date") from exc
        return cls(raw, _kind(kind), iso or None)

    def to_json(self) -> dict[str, Any]:
        return {"raw": self.raw, "kind": self.kind.value, "iso": self.iso}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> JpDate:
        try:
            return cls(obj["raw"], _kind(obj["kind"]), obj.get("iso"))
        except (KeyError, TypeError) as exc:
            raise CodesError(f"日付のJSONではありません: {obj!r}", code="codes-bad-db-date") from exc

    # pydantic support (imported lazily: domain code must not need it at import time)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """Accept a date text, a `to_json` object or a JpDate; serialise as the `to_json` object."""
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            cls._coerce,
            serialization=core_schema.plain_serializer_function_ser_schema(lambda v: v.to_json()),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        kinds = [k.value for k in DateKind]
        return {
            "title": "JpDate",
            "description": "住民記録の日付: 原文 (raw), 種類 (kind), 並べ替え用のISO日付 (iso). 入力は日付文字列も可。",
            "anyOf": [
                {"type": "string", "examples": ["令和5年3月1日", "R05.03.01", "令和2年頃", "年月日不詳"]},
                {
                    "type": "object",
                    "required": ["raw", "kind", "iso"],
                    "properties": {
                        "raw": {"type": "string"},
                        "kind": {"type": "string", "enum": kinds},
                        "iso": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]},
                    },
                },
            ],
        }

    @classmethod
    def _coerce(cls, value: Any) -> JpDate:
        if isinstance(value, JpDate):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        if isinstance(value, dict):
            return cls.from_json(value)
        raise CodesError("日付は文字列か {raw, kind, iso} で指定してください", code="codes-bad-date")

    # derived views

    def _parsed(self) -> _Shape:
        """The structure of ``raw`` (re-parsed after `from_db` / `from_json`, which carry only the three fields)."""
        return self._shape if self._shape is not None else _parse_shape(self.raw)

    @property
    def is_exact(self) -> bool:
        return self.kind is DateKind.EXACT

    @property
    def is_unknown(self) -> bool:
        return self.kind is DateKind.UNKNOWN

    @property
    def era(self) -> Era | None:
        """The era the date was written in (None for 西暦 or 年月日不詳)."""
        start = self._parsed().start
        return start.era if start else None

    def to_date(self) -> dt.date:
        """The calendar date; only for exact dates."""
        if not self.is_exact or self.iso is None:
            raise CodesError(f"「{self.raw}」は暦の日付ではありません", code="codes-date-not-exact")
        return dt.date.fromisoformat(self.iso)

    def best_date(self) -> dt.date | None:
        return dt.date.fromisoformat(self.iso) if self.iso else None

    def sort_key(self) -> tuple[str, str]:
        """Sort by best-effort date (年月日不詳 last), then by text."""
        return (self.iso or "9999-99-99", self.raw)

    def wareki(self, style: str = "long") -> str:
        """和暦 for display and certificates, keeping the era as written (明治45年7月30日 stays 明治).

        Exact and non-calendar dates take any `eras.WAREKI_STYLES`; 不詳 dates render in the long form (with
        kanji numerals when ``style="kanji"``).
        """
        shape = self._parsed()
        p = shape.start
        if self.kind is not DateKind.UNKNOWN and p is not None and p.month and p.day:
            e = p.era or _era_or_none(_best_effort(shape))
            if e is not None:
                return format_wareki(e, e.era_year(p.year), p.month, p.day, style)
        return _render(shape, western=False, kanji=style == "kanji")

    def seireki(self) -> str:
        """西暦 display form (2023年3月1日, 2020年頃 …)."""
        return _render(self._parsed(), western=True)
