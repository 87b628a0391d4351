"""Vectorised check digits and 和暦/西暦 dates as polars expressions, with scalar twins.

The scalar functions (``check_digit_ok``, ``parse_date``) are the plain-Python statement of each rule; the
``*_expr`` functions are the same rule over a whole column. Tests compare the two (and ``lgcloud.codes``,
the project's reference implementation, once it exists).

Check digits (reference/standards.md §5):

- ``mynumber`` 個人番号, 12 digits; ``juminhyo_code`` 住民票コード, 11 digits: weights 2..7,2..6 from the right
  of the body, r = Σ mod 11, check = 0 if r ≤ 1 else 11 − r.
- ``atena`` 宛名番号/世帯番号: M11W2-7 (weights 2..7 repeating from the right), 2–18 digits (桁数 is the layout's);
  r = 0 → 0; r = 1 (unspecified by the standard) → 0, like 個人番号, or invalid under the tenant policy "skip".
- ``lg_code`` 全国地方公共団体コード, 6 digits: check = (11 − r) mod 10.

Dates: ``seireki`` YYYYMMDD, ``seireki-sep`` YYYY-MM-DD or YYYY/MM/DD, ``wareki1`` GYYMMDD (1-digit 元号),
``wareki2`` GGYYMMDD (2-digit 元号). 元号: 1 明治, 2 大正, 3 昭和, 4 平成, 5 令和. 不詳 forms: day ``00``
(日不詳), month and day ``0000`` (月日不詳), all zeros (年月日不詳) — accepted only where the item allows
不詳. A non-calendar date (e.g. 2月29日 in a common year, day ≤ 31) only where the item allows it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from lgcloud.codes import eras

# ------------------------------------------------------------------------------------ check digits

CHECK_LENGTH = {"mynumber": (12, 12), "juminhyo_code": (11, 11), "atena": (2, 18), "lg_code": (6, 6)}


def _weight(kind: str, n: int) -> int:
    """Weight of the n-th body digit counted from the right (n ≥ 1)."""
    if kind == "atena":
        return (n - 1) % 6 + 2
    if kind == "lg_code":
        return n + 1
    return n + 1 if n <= 6 else n - 5


def _digit(kind: str, r: int) -> int:
    if kind == "lg_code":
        return (11 - r) % 10
    return 0 if r <= 1 else 11 - r


def check_digit(kind: str, body: str) -> int:
    """The check digit for ``body`` (the digits before the check digit)."""
    return _digit(kind, remainder(kind, body))


def check_digit_ok(kind: str, value: str, *, skip_remainder_one: bool = False) -> bool:
    lo, hi = CHECK_LENGTH[kind]
    if not (value.isascii() and value.isdigit() and lo <= len(value) <= hi):
        return False
    body = value[:-1]
    if skip_remainder_one and kind == "atena" and remainder(kind, body) == 1:
        return False
    return check_digit(kind, body) == int(value[-1])


def remainder(kind: str, body: str) -> int:
    return sum(int(ch) * _weight(kind, n) for n, ch in enumerate(reversed(body), start=1)) % 11


def check_digit_fail_expr(col: pl.Expr, kind: str, *, skip_remainder_one: bool = False) -> pl.Expr:
    """True where a non-null value is malformed or has a wrong check digit.

    ``skip_remainder_one``: 宛名番号 bodies with remainder 1 are unassignable (a tenant policy, see
    ``lgcloud.codes.RemainderOnePolicy``), so such numbers are invalid.
    """
    lo, hi = CHECK_LENGTH[kind]
    shape = col.str.contains(f"^[0-9]{{{lo},{hi}}}$")
    x = col.cast(pl.Int64, strict=False)
    body = x // 10
    total = pl.lit(0, dtype=pl.Int64)
    for n in range(1, hi):
        total = total + ((body // (10 ** (n - 1))) % 10) * _weight(kind, n)
    r = total % 11
    expected = (11 - r) % 10 if kind == "lg_code" else pl.when(r <= 1).then(0).otherwise(11 - r)
    wrong = expected != x % 10
    if skip_remainder_one and kind == "atena":
        wrong = wrong | (r == 1)
    return col.is_not_null() & (~shape.fill_null(False) | wrong.fill_null(True))


# ---------------------------------------------------------------------------------------- dates


def _eras() -> dict[int, tuple[str, int, int, int]]:
    """元号 from ``lgcloud.codes`` (a new 元号 is a data change there): code → (name, base, first, last)."""
    out = {}
    for e in eras():
        last = 99991231 if e.end is None else e.end.year * 10000 + e.end.month * 100 + e.end.day
        out[int(e.code)] = (e.name, e.first_year - 1, e.start.year * 10000 + e.start.month * 100 + e.start.day, last)
    return out


#: 元号: code → (name, 西暦 year of 0年, first day, last day) as YYYYMMDD integers. 明治 starts 1873-01-01
#: (Gregorian adoption; earlier 明治 dates cannot be converted exactly), as in ``lgcloud.codes``.
ERAS: dict[int, tuple[str, int, int, int]] = _eras()
SEIREKI_MIN_YEAR = 1800


@dataclass(frozen=True)
class ParsedDate:
    year: int  # 西暦; 0 when 年不詳
    month: int  # 0 when 不詳
    day: int  # 0 when 不詳
    unknown: bool
    non_calendar: bool
    era: int | None = None

    @property
    def ymd(self) -> int:
        return self.year * 10000 + self.month * 100 + self.day


def _split(value: str, style: str) -> tuple[int | None, int, int, int] | None:
    v = value.strip()
    if style == "seireki-sep":
        if len(v) != 10 or v[4] not in "-/" or v[7] != v[4]:
            return None
        v = v[:4] + v[5:7] + v[8:]
        style = "seireki"
    width = {"seireki": 8, "wareki1": 7, "wareki2": 8}[style]
    if len(v) != width or not (v.isascii() and v.isdigit()):
        return None
    era = None if style == "seireki" else int(v[: width - 6])
    return era, int(v[-6:-4]) if era is not None else int(v[:4]), int(v[-4:-2]), int(v[-2:])


def parse_date(
    value: str, style: str, *, unknown_allowed: bool = False, non_calendar_allowed: bool = False
) -> ParsedDate | None:
    """Parse one date as the dialect writes it; None when it is not a valid date for the item."""
    parts = _split(value, style)
    if parts is None:
        return None
    era, y, m, d = parts
    if era is not None:
        if y == 0 and m == 0 and d == 0 and era in (0, *ERAS):
            return ParsedDate(0, 0, 0, True, False, era) if unknown_allowed else None
        if era not in ERAS or y == 0:
            return None
        year = ERAS[era][1] + y
    else:
        if y == 0 and m == 0 and d == 0:
            return ParsedDate(0, 0, 0, True, False) if unknown_allowed else None
        year = y
        if year < SEIREKI_MIN_YEAR:
            return None
    unknown = d == 0
    if unknown and (not unknown_allowed or (m == 0 and d != 0)):
        return None
    if m > 12 or (m == 0 and not unknown):
        return None
    non_cal = False
    if m and d and d > calendar.monthrange(year, m)[1]:
        if not non_calendar_allowed or d > 31:
            return None
        non_cal = True
    if era is not None:
        _name, _base, first, last = ERAS[era]
        lo = year * 10000 + (m * 100 + (d or 1) if m else 101)
        hi = year * 10000 + (m * 100 + (d or 31) if m else 1231)
        if hi < first or lo > last:
            return None
    return ParsedDate(year, m, d, unknown, non_cal, era)


def _date_parts_expr(col: pl.Expr, style: str) -> tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr, pl.Expr]:
    """(shape ok, era or -1, year-in-style, month, day) as expressions."""
    if style == "seireki-sep":
        shape = col.str.contains(r"^[0-9]{4}[-/][0-9]{2}[-/][0-9]{2}$") & (col.str.slice(4, 1) == col.str.slice(7, 1))
        col = col.str.replace_all("[-/]", "")
    else:
        width = {"seireki": 8, "wareki1": 7, "wareki2": 8}[style]
        shape = col.str.contains(f"^[0-9]{{{width}}}$")
    x = col.cast(pl.Int64, strict=False)
    d = x % 100
    m = (x // 100) % 100
    if style.startswith("seireki"):
        return shape, pl.lit(-1, dtype=pl.Int64), x // 10000, m, d
    return shape, x // 1_000_000, (x // 10000) % 100, m, d


def _days_in_month(year: pl.Expr, month: pl.Expr) -> pl.Expr:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    return (
        pl.when(month == 2)
        .then(pl.when(leap).then(29).otherwise(28))
        .when(month.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )


def date_exprs(
    col: pl.Expr, style: str, *, unknown_allowed: bool, non_calendar_allowed: bool
) -> tuple[pl.Expr, pl.Expr]:
    """(fail, ymd) for a date column: ``fail`` is True on a non-null invalid value; ``ymd`` is the 西暦
    date as an integer YYYYMMDD (null when invalid or partly 不詳)."""
    shape, era, y, m, d = _date_parts_expr(col, style)
    all_zero = (y == 0) & (m == 0) & (d == 0)
    if style.startswith("seireki"):
        year = y
        era_ok = year >= SEIREKI_MIN_YEAR
        zero_ok = all_zero
    else:
        base = pl.lit(None, dtype=pl.Int64)
        first = pl.lit(None, dtype=pl.Int64)
        last = pl.lit(None, dtype=pl.Int64)
        for code, (_n, b, f, la) in ERAS.items():
            base = pl.when(era == code).then(b).otherwise(base)
            first = pl.when(era == code).then(f).otherwise(first)
            last = pl.when(era == code).then(la).otherwise(last)
        year = base + y
        lo = year * 10000 + pl.when(m == 0).then(101).otherwise(m * 100 + pl.when(d == 0).then(1).otherwise(d))
        hi = year * 10000 + pl.when(m == 0).then(1231).otherwise(m * 100 + pl.when(d == 0).then(31).otherwise(d))
        era_ok = base.is_not_null() & (y > 0) & (hi >= first) & (lo <= last)
        zero_ok = all_zero & ((era == 0) | era.is_in(list(ERAS)))
    unknown = (d == 0) & ((m > 0) | (m == 0))
    month_ok = pl.when(m == 0).then(d == 0).otherwise(m <= 12)
    dim = _days_in_month(year, pl.when((m >= 1) & (m <= 12)).then(m).otherwise(1))
    day_ok = (d == 0) | (d <= dim) | ((d <= 31) & pl.lit(non_calendar_allowed))
    ok = shape & (
        (zero_ok & pl.lit(unknown_allowed))
        | (~all_zero & era_ok & month_ok & day_ok & (~unknown | pl.lit(unknown_allowed)))
    )
    fail = col.is_not_null() & ~ok.fill_null(False)
    ymd = pl.when(ok & ~unknown & ~all_zero).then(year * 10000 + m * 100 + d)
    return fail, ymd


# ------------------------------------------------------------------- cheap first-pass filters
#
# The validator runs a cheap expression over every row and the exact one only over the rows the cheap one
# flags. A cheap filter may flag valid values (they are re-checked) but must never pass an invalid one.


INLINE = 12  # Arrow string views hold values of up to 12 bytes inline


def inline_views(values: pl.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """(byte lengths, the 16-byte views as an (n, 16) uint8 matrix) of a string column, read zero-copy from its
    Arrow string-view buffer: bytes 4–15 of a view hold a value of up to 12 bytes inline (longer values keep
    only a prefix there: callers must treat those rows separately). Lengths of nulls are -1. None when the
    column is not stored as views."""
    arrow = values.rechunk().to_arrow(compat_level=pl.CompatLevel.newest())
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    if arrow.type != pa.string_view():
        return None
    n = len(arrow)
    views = np.frombuffer(arrow.buffers()[1], dtype=np.uint8).reshape(-1, 16)[arrow.offset : arrow.offset + n]
    lens = np.ascontiguousarray(views[:, :4]).view("<i4").reshape(n).copy()
    if arrow.null_count:
        lens[~values.is_not_null().to_numpy()] = -1
    return lens, views


def inline_digits(views: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows whose first ``width`` inline bytes are ASCII digits, the digit values as an (n, width) uint8 matrix,
    meaningful on those rows): eight bytes at a time, a byte is a digit when its high nibble is 3 and adding 6
    to it does not carry out of the low nibble."""
    assert width <= INLINE
    words = np.ascontiguousarray(views).view("<u8")  # (n, 2): length + bytes 0–3, bytes 4–11
    ok = np.ones(views.shape[0], dtype=bool)
    for k, lo, hi in ((0, 4, min(8, 4 + width)), (1, 0, max(0, width - 4))):
        if hi <= lo:
            continue
        mask = np.uint64(sum(0xFF << (8 * b) for b in range(lo, hi)))
        high, three, six = (
            mask & np.uint64(0xF0F0F0F0F0F0F0F0),
            mask & np.uint64(0x3030303030303030),
            mask & np.uint64(0x0606060606060606),
        )
        w = words[:, k]
        ok &= ((w & high) == three) & (((w + six) & high) == three)
    nibbles = (words & np.uint64(0x0F0F0F0F0F0F0F0F)).view(np.uint8).reshape(-1, 16)
    return ok, nibbles[:, 4 : 4 + width]


def check_digit_fail_numpy(values: pl.Series, kind: str, *, skip_remainder_one: bool = False) -> pl.Series:
    """Exact check-digit failures over a whole column with numpy: for each value length, the digits are a
    byte matrix and the weighted sum one matrix product (no per-digit integer division)."""
    lo, hi = CHECK_LENGTH[kind]
    views = inline_views(values)
    if views is not None:
        lens, raw = views
        fail = lens >= 0  # failing until proven valid
        checked = lens[(lens >= lo) & (lens <= min(hi, INLINE))]
        lengths = (
            []
            if checked.size == 0
            else [int(checked[0])]
            if checked.min() == checked.max()
            else np.unique(checked).tolist()
        )
        for length in lengths:
            if len(lengths) == 1:  # the usual case: every row at once, keeping the answer on rows of this length
                isdig, digits = inline_digits(raw, length)
                fail &= (lens != length) | ~isdig | _wrong_digit(digits, length, kind, skip_remainder_one)
                continue
            where = np.flatnonzero(lens == length)
            isdig, digits = inline_digits(raw[where], length)
            fail[where] = ~isdig | _wrong_digit(digits, length, kind, skip_remainder_one)
        if hi <= INLINE or not (lens > INLINE).any():
            return pl.Series(fail)
    lens = values.str.len_bytes().fill_null(0).to_numpy()
    fail = values.is_not_null().to_numpy().copy()  # failing until proven valid
    nonnull = int(fail.sum())
    for length in np.unique(lens[(lens >= lo) & (lens <= hi)]):
        where = np.flatnonzero(lens == length)
        subset = values.drop_nulls() if where.size == nonnull else values.gather(where)
        fail[where] = _fail_same_length(subset, int(length), kind, skip_remainder_one)
    return pl.Series(fail)


def _fail_same_length(values: pl.Series, length: int, kind: str, skip_remainder_one: bool) -> np.ndarray:
    arrow = values.to_arrow()
    if arrow.type != pa.large_string():
        arrow = pc.cast(arrow, pa.large_string())
    n = len(values)
    offsets = np.frombuffer(arrow.buffers()[1], dtype=np.int64)[arrow.offset : arrow.offset + n + 1]
    data = np.frombuffer(arrow.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    digits = data.reshape(n, length).astype(np.int16) - 48
    isdig = ((digits >= 0) & (digits <= 9)).all(axis=1)
    return ~isdig | _wrong_digit(digits, length, kind, skip_remainder_one)


def _wrong_digit(digits: np.ndarray, length: int, kind: str, skip_remainder_one: bool) -> np.ndarray:
    """Wrong check digits of an (n, length) matrix of digit values (rows that are not all digits: any answer)."""
    weights = np.array([_weight(kind, length - 1 - j) for j in range(length - 1)], dtype=np.float32)
    total = (digits[:, :-1].astype(np.float32) @ weights).astype(np.int64)  # exact: |Σ| < 2**24
    r = total % 11
    cd = (11 - r) % 10 if kind == "lg_code" else np.where(r <= 1, 0, 11 - r)
    wrong = cd != digits[:, -1]
    if skip_remainder_one and kind == "atena":
        wrong |= r == 1
    return wrong


def _full_years(code: int) -> tuple[int, int]:
    """和暦 years lying wholly inside an era (so every month/day of them is in the era)."""
    _name, base, first, last = ERAS[code]
    lo = first // 10000 - base + (0 if first % 10000 == 101 else 1)
    hi = min(99, last // 10000 - base - (0 if last % 10000 == 1231 else 1))
    return lo, hi


def date_cheap_fail(col: pl.Expr, style: str) -> pl.Expr:
    """Flags every invalid date (and a few valid ones: 29 February, era boundary years, 不詳 forms)."""
    if style == "seireki-sep":
        fail, _ymd = date_exprs(col, style, unknown_allowed=False, non_calendar_allowed=False)
        return fail
    width = {"seireki": 8, "wareki1": 7, "wareki2": 8}[style]
    x = col.cast(pl.Int64, strict=False)
    m, d = (x // 100) % 100, x % 100
    dim = 31 - (m == 2).cast(pl.Int64) * 3 - m.is_in([4, 6, 9, 11]).cast(pl.Int64)  # February: 28
    ok = (col.str.len_bytes() == width) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= dim)
    if style == "seireki":
        ok = ok & (x // 10000 >= SEIREKI_MIN_YEAR)
    else:
        era, yy = x // 1_000_000, (x // 10000) % 100
        era_ok = pl.lit(False)
        for code in ERAS:
            lo, hi = _full_years(code)
            era_ok = era_ok | ((era == code) & (yy >= lo) & (yy <= hi))
        ok = ok & era_ok
    return col.is_not_null() & ~ok.fill_null(False)


#: Days per month as :func:`date_cheap_fail` counts them (February 28), for any two nibbles read as a month.
_CHEAP_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] + [0] * 243, dtype=np.int16)


def date_cheap_fail_numpy(values: pl.Series, style: str) -> pl.Series:
    """:func:`date_cheap_fail` with numpy on the inline bytes of the values: the same flags for values of
    exactly the style's width in ASCII digits, and every other non-null value flagged."""
    views = inline_views(values) if style != "seireki-sep" else None
    if views is None:
        return pl.DataFrame({"v": values}).select(date_cheap_fail(pl.col("v"), style)).to_series()
    lens, raw = views
    width = {"seireki": 8, "wareki1": 7, "wareki2": 8}[style]
    isdig, digits = inline_digits(raw, width)
    d = digits.astype(np.int16)
    ok = (lens == width) & isdig
    m = d[:, width - 4] * 10 + d[:, width - 3]
    day = d[:, width - 2] * 10 + d[:, width - 1]
    ok &= (day >= 1) & (day <= _CHEAP_DAYS[m])  # months 0 and 13– have no days
    if style == "seireki":
        ok &= d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3] >= SEIREKI_MIN_YEAR
    else:
        era = d[:, 0] if width == 7 else d[:, 0] * 10 + d[:, 1]
        yy = d[:, width - 6] * 10 + d[:, width - 5]
        era_ok = np.zeros(len(ok), dtype=bool)
        for code in ERAS:
            lo, hi = _full_years(code)
            era_ok |= (era == code) & (yy >= lo) & (yy <= hi)
        ok &= era_ok
    return pl.Series((lens >= 0) & ~ok)


def digits_cheap_fail(col: pl.Expr) -> pl.Expr:
    """Non-digit values (exact for up to 18 characters; longer ones are flagged for the exact rule)."""
    ok = col.cast(pl.UInt64, strict=False).is_not_null() & ~col.str.starts_with("+") & (col.str.len_bytes() <= 18)
    return col.is_not_null() & ~ok
