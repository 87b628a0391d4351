"""Search keys and date parsing, built on ``lgcloud.codes`` (kana folding, 和暦) and ``lgcloud.moji``
(異体字 matching key). Keys live in their own columns; the stored name is never altered.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date

from lgcloud.residents.errors import InvalidField
from lgcloud.residents.model import FlexDate

_SPACES = re.compile(r"[\s\u3000]+")

ERAS: dict[str, int] = {"明治": 1867, "大正": 1911, "昭和": 1925, "平成": 1988, "令和": 2018}
_ERA_RANGES: list[tuple[str, date]] = [
    ("令和", date(2019, 5, 1)),
    ("平成", date(1989, 1, 8)),
    ("昭和", date(1926, 12, 25)),
    ("大正", date(1912, 7, 30)),
    ("明治", date(1868, 1, 25)),
]
_WAREKI = re.compile(
    r"^(?P<era>明治|大正|昭和|平成|令和)(?P<y>元|\d{1,2})年(?:(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})日)?)?(?P<rest>.*)$"
)
_ISO = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")


def _fold_kana_fallback(text: str) -> str:
    from lgcloud.residents import _kana

    return _kana.fold(text)


def kana_key(text: str | None) -> str | None:
    """フリガナ folded for fuzzy search (§2.12): 濁点, 小書き, 長音, オウ→オ …, no spaces."""
    if not text:
        return None
    try:
        from lgcloud.codes import fold_kana  # type: ignore[attr-defined]
    except ImportError:
        fold_kana = _fold_kana_fallback
    return _SPACES.sub("", fold_kana(text)) or None


def name_key(text: str | None) -> str | None:
    """異体字-insensitive key of a name (moji matching key), no spaces."""
    if not text:
        return None
    text = _SPACES.sub("", text)
    try:
        from lgcloud.moji import matching_key  # type: ignore[attr-defined]
    except ImportError:
        return _strip_variation_selectors(text) or None
    return matching_key(text) or None


def _strip_variation_selectors(text: str) -> str:
    return "".join(ch for ch in text if not (0xE0100 <= ord(ch) <= 0xE01EF or 0xFE00 <= ord(ch) <= 0xFE0F))


def address_key(text: str | None) -> str | None:
    """Address folded for prefix search: width-folded, no spaces (key only)."""
    if not text:
        return None
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)) or None


def to_katakana(text: str) -> str:
    """フリガナ input to full-width katakana (hiragana and half-width accepted)."""
    try:
        from lgcloud.codes import to_fullwidth_katakana  # type: ignore[attr-defined]
    except ImportError:
        from lgcloud.residents._kana import to_katakana as to_fullwidth_katakana
    return to_fullwidth_katakana(text)


# --- dates ----------------------------------------------------------------------------------------


def parse_date(text: str, *, field: str = "date", flexible: bool = True) -> FlexDate:
    """ISO / 和暦 text → FlexDate. Non-calendar and 不詳 wordings only where ``flexible`` (§2.3)."""
    raw = unicodedata.normalize("NFKC", text).strip()
    if not raw:
        raise InvalidField("日付を入力してください", field=field)
    if m := _ISO.match(raw):
        return _from_ymd(int(m[1]), int(m[2]), int(m[3]), text, field, flexible)
    if m := _WAREKI.match(raw.replace(" ", "")):
        return _from_wareki(m, text.strip(), field, flexible)
    if flexible and ("不詳" in raw or "頃" in raw):
        return FlexDate(None, text.strip())
    raise InvalidField(f"日付「{text}」を読み取れません（例: 2020-04-01, 令和2年4月1日）", field=field)


def _from_wareki(m: re.Match[str], text: str, field: str, flexible: bool) -> FlexDate:
    year = ERAS[m["era"]] + (1 if m["y"] == "元" else int(m["y"]))
    if m["m"] is None or m["d"] is None or m["rest"]:
        if not flexible:
            raise InvalidField(f"「{text}」は年月日まで入力してください", field=field)
        month = int(m["m"] or 1)
        return FlexDate(_clamped(year, month, int(m["d"] or 1)), text)
    return _from_ymd(year, int(m["m"]), int(m["d"]), text, field, flexible, keep_text=True)


def _from_ymd(y: int, m: int, d: int, text: str, field: str, flexible: bool, *, keep_text: bool = False) -> FlexDate:
    if not 1 <= m <= 12 or not 1 <= d <= 31:
        raise InvalidField(f"日付「{text}」は存在しません", field=field)
    try:
        return FlexDate(date(y, m, d), None)
    except ValueError:
        if not flexible:
            raise InvalidField(f"日付「{text}」は暦にない日付です", field=field) from None
        return FlexDate(_clamped(y, m, d), text.strip())


def _clamped(y: int, m: int, d: int) -> date:
    m = min(max(m, 1), 12)
    return date(y, m, min(d, calendar.monthrange(y, m)[1]))


def wareki(value: date | None) -> str:
    """2020-04-01 → 令和2年4月1日 (display)."""
    if value is None:
        return ""
    for era, start in _ERA_RANGES:
        if value >= start:
            year = value.year - ERAS[era]
            return f"{era}{'元' if year == 1 else year}年{value.month}月{value.day}日"
    return value.isoformat()


def display_date(value: FlexDate | date | None, *, western: bool = False) -> str:
    """和暦 for display (西暦 for 外国人の生年月日 and 在留期間満了日), the 戸籍 wording when not exact."""
    if value is None:
        return ""
    if isinstance(value, FlexDate):
        if value.text:
            return value.text
        value = value.value
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日" if western else wareki(value)
