"""年号 (元号) and exact 和暦 ⇄ 西暦 conversion, driven by the `era` code table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from lgcloud.codes.errors import CodesError
from lgcloud.codes.tables import code_table

_KANJI_DIGITS = "〇一二三四五六七八九"


@dataclass(frozen=True)
class Era:
    code: str  #: 1-digit code (既存住基 style), e.g. "5"
    code2: str  #: 2-digit code (中間標準 style), e.g. "05"
    name: str  #: 令和
    letter: str  #: R
    first_year: int  #: the 西暦 year of 元年
    start: dt.date  #: first date converted exactly (明治: 1873-01-01, Gregorian adoption)
    end: dt.date | None  #: last date accepted; None for the current era

    @property
    def kanji(self) -> str:
        """The one-character form (令) used on some legacy forms."""
        return self.name[0]

    @property
    def last_year(self) -> int | None:
        """The last era year that exists (平成31), None for the current era."""
        return None if self.end is None else self.end.year - self.first_year + 1

    def western_year(self, era_year: int) -> int:
        return self.first_year + era_year - 1

    def era_year(self, western_year: int) -> int:
        return western_year - self.first_year + 1

    def contains(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@cache
def eras() -> tuple[Era, ...]:
    """All eras, oldest first."""
    return tuple(
        Era(
            code=e.code,
            code2=e["code2"],
            name=e.name,
            letter=e["letter"],
            first_year=int(e["first_year"]),
            start=e["start"],
            end=e.get("end"),
        )
        for e in code_table("era")
    )


def era(key: str | Era) -> Era:
    """Look an era up by name (令和), one kanji (令), letter (R/r), 1-digit code (5) or 2-digit code (05)."""
    if isinstance(key, Era):
        return key
    wanted = key.strip()
    for e in eras():
        if wanted in (e.name, e.kanji, e.letter, e.letter.lower(), e.code, e.code2):
            return e
    raise CodesError(f"年号 {key!r} はありません", code="codes-unknown-era")


def era_of(day: dt.date) -> Era:
    """The era a 西暦 date is written in. On an overlap day (1912-07-30, 1926-12-25) the new era wins."""
    for e in reversed(eras()):
        if e.contains(day):
            return e
    raise CodesError(
        f"{day.isoformat()} は和暦に換算できません（明治6年1月1日より前は太陰太陽暦です）",
        code="codes-before-gregorian",
    )


def from_wareki(era_key: str | Era, year: int, month: int, day: int) -> dt.date:
    """The 西暦 date of an exact 和暦 date; raises `CodesError` if it is not a real date of that era."""
    e = era(era_key)
    if year < 1 or (e.last_year is not None and year > e.last_year):
        raise CodesError(f"{e.name}{year}年はありません", code="codes-bad-era-year")
    try:
        result = dt.date(e.western_year(year), month, day)
    except ValueError as exc:
        raise CodesError(f"{e.name}{year}年{month}月{day}日は暦にない日付です", code="codes-bad-date") from exc
    if not e.contains(result):
        raise CodesError(f"{e.name}{year}年{month}月{day}日は{e.name}の期間外です", code="codes-outside-era")
    return result


def kanji_number(n: int) -> str:
    """1–99 in the 十-style kanji used in 戸籍 (二十三); 0 → 〇."""
    if n < 10:
        return _KANJI_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else _KANJI_DIGITS[tens]
    return head + "十" + ("" if ones == 0 else _KANJI_DIGITS[ones])


def format_era_year(year: int, *, gannen: bool = True, kanji: bool = False) -> str:
    """元 for the first year (as certificates write it), else the number."""
    if year == 1 and gannen:
        return "元"
    return kanji_number(year) if kanji else str(year)


#: Display styles of `to_wareki`. All of them are accepted back by `JpDate.parse`.
WAREKI_STYLES = ("long", "kanji", "padded", "short", "dotted", "code7", "code8")


def format_wareki(era_key: str | Era, year: int, month: int, day: int, style: str = "long") -> str:
    """Format 和暦 parts without checking the calendar (non-calendar dates such as 2月30日 format too).

    Styles: ``long`` 令和5年3月1日 (display, certificates), ``kanji`` 令和五年三月一日 (戸籍 style),
    ``padded`` 令和05年03月01日, ``short`` R05.03.01, ``dotted`` 令和5.3.1, ``code7`` 5050301 (GYYMMDD, 1-digit
    era code), ``code8`` 05050301 (2-digit era code).
    """
    e = era(era_key)
    y, m, d = year, month, day
    formats = {
        "long": lambda: f"{e.name}{format_era_year(y)}年{m}月{d}日",
        "kanji": lambda: f"{e.name}{format_era_year(y, kanji=True)}年{kanji_number(m)}月{kanji_number(d)}日",
        "padded": lambda: f"{e.name}{y:02d}年{m:02d}月{d:02d}日",
        "short": lambda: f"{e.letter}{y:02d}.{m:02d}.{d:02d}",
        "dotted": lambda: f"{e.name}{y}.{m}.{d}",
        "code7": lambda: f"{e.code}{y:02d}{m:02d}{d:02d}",
        "code8": lambda: f"{e.code2}{y:02d}{m:02d}{d:02d}",
    }
    if style not in formats:
        raise CodesError(f"和暦の書式 {style!r} はありません", code="codes-bad-style", styles=WAREKI_STYLES)
    return formats[style]()


def to_wareki(day: dt.date, style: str = "long") -> str:
    """Format a 西暦 date as 和暦 in one of `WAREKI_STYLES` (see `format_wareki`)."""
    e = era_of(day)
    return format_wareki(e, e.era_year(day.year), day.month, day.day, style)
