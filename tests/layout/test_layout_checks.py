"""Vectorised check digits and dates agree with the scalar rules, with lgcloud.codes and with §5 examples."""

from __future__ import annotations

import datetime as dt
import random

import polars as pl
import pytest

from lgcloud import codes
from lgcloud.layout import checks


def _expr(values: list[str | None], expr) -> list[bool]:
    return pl.select(expr(pl.lit(pl.Series(values, dtype=pl.String)))).to_series().to_list()


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("mynumber", "123456789018"),
        ("mynumber", "023456789013"),
        ("mynumber", "983205673214"),
        ("juminhyo_code", "12345678903"),
        ("lg_code", "131041"),
        ("lg_code", "131130"),
        ("lg_code", "182079"),
        ("lg_code", "131016"),
        ("lg_code", "011002"),
    ],
)
def test_worked_examples(kind: str, value: str) -> None:
    assert checks.check_digit_ok(kind, value)
    wrong = value[:-1] + str((int(value[-1]) + 1) % 10)
    assert checks.check_digit_fail_numpy(pl.Series([value, wrong]), kind).to_list() == [False, True]


REFERENCE = {
    "mynumber": codes.is_valid_mynumber,
    "juminhyo_code": codes.is_valid_juminhyo_code,
    "lg_code": codes.is_valid_lgcode,
    "atena": lambda v: codes.is_valid_atena(v, "zero"),
}


@pytest.mark.parametrize("kind", sorted(REFERENCE))
def test_vectorised_check_digits_match_lgcloud_codes(kind: str) -> None:
    rng = random.Random(kind)
    lo, hi = checks.CHECK_LENGTH[kind]
    top = hi if kind == "atena" else hi + 1  # 宛名番号 has no fixed width: beyond 18 digits the layout's 桁数 decides
    values = ["".join(rng.choice("0123456789") for _ in range(rng.randint(lo - 1, top))) for _ in range(4000)]
    values += ["１２３４５６", "+23456789013", "12 456", "", "abcdefghijkl"]
    reference = [not REFERENCE[kind](v) for v in values]
    assert checks.check_digit_fail_numpy(pl.Series(values), kind).to_list() == reference
    assert _expr(values, lambda c: checks.check_digit_fail_expr(c, kind)) == reference
    assert [not checks.check_digit_ok(kind, v) for v in values] == reference


def test_atena_remainder_one_policy() -> None:
    rng = random.Random(1)
    values = ["".join(rng.choice("0123456789") for _ in range(10)) for _ in range(3000)]
    reference = [not codes.is_valid_atena(v, "skip") for v in values]
    assert checks.check_digit_fail_numpy(pl.Series(values), "atena", skip_remainder_one=True).to_list() == reference
    assert _expr(values, lambda c: checks.check_digit_fail_expr(c, "atena", skip_remainder_one=True)) == reference


def test_nulls_never_fail() -> None:
    assert checks.check_digit_fail_numpy(pl.Series([None, "123456789018"], dtype=pl.String), "mynumber").to_list() == [
        False,
        False,
    ]


def _codes_exact(value: str, style: str) -> bool:
    """lgcloud.codes' reading of an exact GYYMMDD / GGYYMMDD date."""
    try:
        parsed = codes.JpDate.parse(value, exact_only=True)
    except codes.CodesError:
        return False
    return parsed.iso is not None


@pytest.mark.parametrize("style", ["wareki1", "wareki2"])
def test_exact_wareki_dates_match_lgcloud_codes(style: str) -> None:
    rng = random.Random(style)
    width = 7 if style == "wareki1" else 8
    era = (lambda e: str(e)) if style == "wareki1" else (lambda e: f"{e:02d}")
    values = [
        f"{era(rng.randint(1, 5))}{rng.randint(1, 65):02d}{rng.randint(1, 13):02d}{rng.randint(1, 32):02d}"
        for _ in range(3000)
    ]
    values += [
        f"{era(e)}{y:02d}{m:02d}{d:02d}"
        for e, y, m, d in [
            (1, 45, 7, 30),
            (1, 45, 7, 31),
            (2, 1, 7, 29),
            (2, 1, 7, 30),
            (2, 15, 12, 25),
            (3, 1, 12, 24),
            (3, 64, 1, 7),
            (3, 64, 1, 8),
            (4, 1, 1, 7),
            (4, 1, 1, 8),
            (4, 31, 4, 30),
            (4, 31, 5, 1),
            (5, 1, 4, 30),
            (5, 1, 5, 1),
            (1, 5, 12, 31),
            (1, 6, 1, 1),
        ]
    ]
    assert all(len(v) == width for v in values)
    reference = [not _codes_exact(v, style) for v in values]
    fail, _ymd = checks.date_exprs(pl.col("v"), style, unknown_allowed=False, non_calendar_allowed=False)
    assert pl.DataFrame({"v": values}).select(fail).to_series().to_list() == reference
    assert [checks.parse_date(v, style) is None for v in values] == reference


def test_seireki_dates_and_unknown_forms() -> None:
    values = [
        "20240229",
        "20230229",
        "19000229",
        "20000229",
        "20231301",
        "20230100",
        "20230000",
        "00000000",
        "18991231",
        "2023-01-05",
        "2023/01/05",
        "2023-01/05",
    ]
    for unknown in (False, True):
        for non_cal in (False, True):
            for style in ("seireki", "seireki-sep"):
                fail, _ = checks.date_exprs(pl.col("v"), style, unknown_allowed=unknown, non_calendar_allowed=non_cal)
                got = pl.DataFrame({"v": values}).select(fail).to_series().to_list()
                want = [
                    checks.parse_date(v, style, unknown_allowed=unknown, non_calendar_allowed=non_cal) is None
                    for v in values
                ]
                assert got == want
    assert checks.parse_date("20230229", "seireki", non_calendar_allowed=True).non_calendar
    assert checks.parse_date("20230100", "seireki", unknown_allowed=True).unknown
    assert checks.parse_date("20230229", "seireki") is None


@pytest.mark.parametrize("style", ["seireki", "wareki1", "wareki2", "seireki-sep"])
def test_cheap_date_filter_never_misses(style: str) -> None:
    rng = random.Random(style)
    width = {"seireki": 8, "wareki1": 7, "wareki2": 8, "seireki-sep": 8}[style]
    values = ["".join(rng.choice("0123456789") for _ in range(width)) for _ in range(20000)]
    if style == "seireki-sep":
        values = [f"{v[:4]}-{v[4:6]}-{v[6:]}" for v in values]
    cheap = pl.DataFrame({"v": values}).select(checks.date_cheap_fail(pl.col("v"), style)).to_series().to_list()
    for value, flagged in zip(values, cheap, strict=True):
        if checks.parse_date(value, style) is None:
            assert flagged, value


def test_wareki_to_seireki_ymd() -> None:
    _fail, ymd = checks.date_exprs(pl.col("v"), "wareki2", unknown_allowed=True, non_calendar_allowed=False)
    got = pl.DataFrame({"v": ["05050301", "03640107", "04010000"]}).select(ymd).to_series().to_list()
    assert got == [20230301, 19890107, None]
    assert codes.from_wareki("5", 5, 3, 1) == dt.date(2023, 3, 1)


@pytest.mark.parametrize("style", ["seireki", "wareki1", "wareki2", "seireki-sep"])
def test_numpy_cheap_date_filter_matches_the_expression(style: str) -> None:
    """Same flags as :func:`checks.date_cheap_fail` on values of the style's width in digits; anything else
    (other widths, non-digits, values too long to be inline) is flagged for the exact rule."""
    rng = random.Random(f"np-{style}")
    width = {"seireki": 8, "wareki1": 7, "wareki2": 8, "seireki-sep": 8}[style]
    values = ["".join(rng.choice("0123456789") for _ in range(width)) for _ in range(20000)]
    values += ["2023011", "202301011", "2023-01-01", "+2023011", "2023010a", "１２３４５６７８", "20230101" * 3, ""]
    chunks = pl.concat([pl.Series(values[:7000]), pl.Series([None, *values[7000:]])], rechunk=False)
    cheap = checks.date_cheap_fail_numpy(chunks, style).to_list()
    want = pl.DataFrame({"v": chunks}).select(checks.date_cheap_fail(pl.col("v"), style)).to_series().to_list()
    for value, got, expected in zip(chunks.to_list(), cheap, want, strict=True):
        digits = value is not None and len(value) == width and value.isascii() and value.isdigit()
        assert got == (expected if digits or style == "seireki-sep" else value is not None), value


def test_check_digits_over_chunks_nulls_and_long_values() -> None:
    values = ["123456789018", None, "123456789019", "0001000004", "00010000040001", "12", None]
    series = pl.concat([pl.Series(values[:3]), pl.Series(values[3:])], rechunk=False)
    for kind in ("mynumber", "atena"):
        want = [v is not None and not checks.check_digit_ok(kind, v) for v in values]
        assert checks.check_digit_fail_numpy(series, kind).to_list() == want
