"""Check digits, judged against rules restated here independently of the implementation (standards.md §5)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lgcloud
from lgcloud.codes import (
    CodesError,
    RemainderOnePolicy,
    UnassignableNumberError,
    atena_check_digit,
    is_assignable_atena_body,
    is_valid_atena,
    is_valid_juminhyo_code,
    is_valid_lgcode,
    is_valid_mynumber,
    juminhyo_check_digit,
    lgcode_check_digit,
    lgcode_with_check_digit,
    mynumber_check_digit,
    next_atena_number,
    validate_atena,
    validate_juminhyo_code,
    validate_lgcode,
    validate_mynumber,
)

LOCALGOV_CSV = Path(lgcloud.__file__).parent / "data" / "localgovjp" / "localgovjp-utf8.csv"


def _real_lgcodes() -> list[str]:
    with LOCALGOV_CSV.open(encoding="utf-8-sig", newline="") as f:
        return [row["lgcode"] for row in csv.DictReader(f)]


REAL_LGCODES = _real_lgcodes()


def _prefecture_codes() -> list[str]:
    # The prefecture file stores lgcode as a number, without the leading zero.
    with (LOCALGOV_CSV.parent / "prefjp-utf8.csv").open(encoding="utf-8-sig", newline="") as f:
        return [row["lgcode"].zfill(6) for row in csv.DictReader(f)]


# --- independent statements of the rules ----------------------------------------------------------------


def lgcode_rule(code6: str) -> bool:
    """S = 6a+5b+4c+3d+2e; the check digit is the last digit of 11 − (S mod 11)."""
    a, b, c, d, e, check = (int(x) for x in code6)
    s = 6 * a + 5 * b + 4 * c + 3 * d + 2 * e
    return str(11 - s % 11)[-1] == str(check)


def mynumber_rule(number12: str) -> bool:
    """省令第85号 §5: Pn = n-th digit from the lowest of the 11, Qn = n+1 (n ≤ 6) or n−5 (n ≥ 7)."""
    body, check = number12[:11], int(number12[11])
    total = 0
    for n in range(1, 12):
        p = int(body[11 - n])
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    r = total % 11
    return check == (0 if r <= 1 else 11 - r)


def juminhyo_rule(code11: str) -> bool:
    """Provisional: left-to-right weights 5 4 3 2 7 6 5 4 3 2 on the 10-digit body, r ≤ 1 → 0, else 11 − r."""
    weights = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    r = sum(w * int(x) for w, x in zip(weights, code11[:10], strict=True)) % 11
    return int(code11[10]) == (0 if r <= 1 else 11 - r)


def atena_rule(number: str, policy: str) -> bool:
    """M11W2-7: weights 2,3,4,5,6,7,2,… from the right of the body; r=0 → 0; r=1 → 0 or unassignable."""
    body, check = number[:-1], int(number[-1])
    weights = [2 + (i % 6) for i in range(len(body))]
    r = sum(w * int(x) for w, x in zip(weights, reversed(body), strict=True)) % 11
    if r == 1:
        return policy == "zero" and check == 0
    return check == (0 if r == 0 else 11 - r)


def single_digit_corruptions(value: str) -> Iterator[str]:
    for i, original in enumerate(value):
        for digit in "0123456789":
            if digit != original:
                yield value[:i] + digit + value[i + 1 :]


# --- 全国地方公共団体コード ----------------------------------------------------------------------------


def test_vendored_list_has_all_1916_codes() -> None:
    assert len(REAL_LGCODES) == 1916
    assert len(set(REAL_LGCODES)) == 1916


def test_every_real_lgcode_is_valid() -> None:
    invalid = [c for c in REAL_LGCODES if not is_valid_lgcode(c)]
    assert invalid == []
    assert all(lgcode_with_check_digit(c[:5]) == c for c in REAL_LGCODES)


def test_every_single_digit_corruption_of_every_real_code_is_judged_by_the_rule() -> None:
    still_valid = 0
    for code in REAL_LGCODES:
        for corrupted in single_digit_corruptions(code):
            expected = lgcode_rule(corrupted)
            assert is_valid_lgcode(corrupted) is expected, corrupted
            still_valid += expected
    # The mod-10 step gives remainders 0 and 10 the same check digit 1, so some corruptions stay valid …
    assert still_valid > 0


def _remainder(code6: str) -> int:
    return sum(w * int(x) for w, x in zip((6, 5, 4, 3, 2), code6[:5], strict=True)) % 11


def test_corruptions_stay_valid_exactly_when_the_remainder_moves_between_0_and_10() -> None:
    # … and those are the only ones: a second, structural statement of the same rule.
    for code in REAL_LGCODES:
        for corrupted in single_digit_corruptions(code):
            collides = corrupted[5] == code[5] and {_remainder(code), _remainder(corrupted)} == {0, 10}
            assert is_valid_lgcode(corrupted) is collides, corrupted


def test_every_prefecture_code_is_valid() -> None:
    codes = _prefecture_codes()
    assert len(codes) == 47 and codes[0] == "010006" and codes[12] == "130001"
    assert all(is_valid_lgcode(c) and lgcode_rule(c) for c in codes)


@pytest.mark.parametrize(
    ("code5", "check"),
    [("13104", "1"), ("13113", "0"), ("18207", "9"), ("13101", "6"), ("01100", "2"), ("13000", "1")],
)
def test_lgcode_worked_examples(code5: str, check: str) -> None:
    # 新宿区, 渋谷区 (r=1 → 0), 鯖江市, 千代田区, 札幌市, 東京都 (standards.md §5.1).
    assert lgcode_check_digit(code5) == check
    assert is_valid_lgcode(code5 + check)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("13104", "6桁"),
        ("1310411", "6桁"),
        ("１３１０４１", "半角数字"),
        ("13104a", "半角数字"),
        ("", "半角数字"),
        ("131042", "末尾は 1"),
    ],
)
def test_lgcode_reasons(value: str, fragment: str) -> None:
    reason = validate_lgcode(value)
    assert reason is not None and fragment in reason


def test_lgcode_rejects_non_strings() -> None:
    assert validate_lgcode(131041) is not None  # type: ignore[arg-type]
    with pytest.raises(CodesError):
        lgcode_check_digit("1310")


# --- 個人番号 ---------------------------------------------------------------------------------------------

MYNUMBER_EXAMPLES = ["123456789018", "023456789013", "983205673214"]


@pytest.mark.parametrize("number", MYNUMBER_EXAMPLES)
def test_mynumber_worked_examples(number: str) -> None:
    assert is_valid_mynumber(number)
    assert mynumber_check_digit(number[:11]) == number[11]


@pytest.mark.parametrize("number", MYNUMBER_EXAMPLES)
def test_mynumber_corruptions_follow_the_rule(number: str) -> None:
    for corrupted in single_digit_corruptions(number):
        assert is_valid_mynumber(corrupted) is mynumber_rule(corrupted), corrupted


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_mynumber_check_digit_matches_the_ordinance(body: str) -> None:
    number = body + mynumber_check_digit(body)
    assert mynumber_rule(number)
    assert is_valid_mynumber(number)


@pytest.mark.parametrize("value", ["12345678901", "1234567890188", "12345678901８", "123456789019"])
def test_mynumber_rejects(value: str) -> None:
    assert validate_mynumber(value) is not None


# --- 住民票コード (provisional) ------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["12345678903", "24727059608"])
def test_juminhyo_worked_examples(code: str) -> None:
    assert is_valid_juminhyo_code(code)
    assert juminhyo_check_digit(code[:10]) == code[10]


@pytest.mark.parametrize("code", ["12345678903", "24727059608"])
def test_juminhyo_corruptions_follow_the_rule(code: str) -> None:
    for corrupted in single_digit_corruptions(code):
        assert is_valid_juminhyo_code(corrupted) is juminhyo_rule(corrupted), corrupted


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_juminhyo_check_digit_matches_the_rule(body: str) -> None:
    assert juminhyo_rule(body + juminhyo_check_digit(body))


def test_juminhyo_rejects_wrong_length() -> None:
    assert "11桁" in (validate_juminhyo_code("1234567890") or "")


# --- 宛名番号 / 世帯番号 ----------------------------------------------------------------------------------


def _body_with_remainder(r: int) -> str:
    for n in range(1, 10_000):
        body = f"{n:06d}"
        weights = [2 + (i % 6) for i in range(6)]
        if sum(w * int(x) for w, x in zip(weights, reversed(body), strict=True)) % 11 == r:
            return body
    raise AssertionError(r)


@pytest.mark.parametrize("policy", ["zero", "skip"])
def test_atena_every_body_up_to_4_digits_follows_the_rule(policy: str) -> None:
    for n in range(10_000):
        body = f"{n:04d}"
        for check in "0123456789":
            number = body + check
            assert is_valid_atena(number, policy) is atena_rule(number, policy), number


@given(st.text(alphabet="0123456789", min_size=1, max_size=15), st.sampled_from(["zero", "skip"]))
def test_atena_long_numbers_follow_the_rule(body: str, policy: str) -> None:
    for check in "0123456789":
        assert is_valid_atena(body + check, policy) is atena_rule(body + check, policy)


def test_atena_remainder_zero_gives_zero() -> None:
    assert atena_check_digit(_body_with_remainder(0), RemainderOnePolicy.SKIP) == "0"


def test_atena_remainder_one_depends_on_the_policy() -> None:
    body = _body_with_remainder(1)
    assert atena_check_digit(body, RemainderOnePolicy.ZERO) == "0"
    assert is_valid_atena(body + "0", "zero")
    with pytest.raises(UnassignableNumberError):
        atena_check_digit(body, RemainderOnePolicy.SKIP)
    assert not is_assignable_atena_body(body, "skip")
    assert "欠番" in (validate_atena(body + "0", "skip") or "")


def test_next_atena_number_skips_unassignable_bodies_only_under_skip() -> None:
    body = _body_with_remainder(1)
    previous = f"{int(body) - 1:06d}"
    assert next_atena_number(previous, "zero") == body + "0"
    following = next_atena_number(previous, "skip")
    assert following[:-1] == f"{int(body) + 1:06d}"
    assert is_valid_atena(following, "skip")


def test_next_atena_number_keeps_the_width_and_stops_when_exhausted() -> None:
    assert len(next_atena_number("0000001", "zero")) == 8
    with pytest.raises(CodesError):
        next_atena_number("99", "zero")


def test_atena_length_is_checked_when_the_municipality_fixes_it() -> None:
    number = next_atena_number("000000", "zero")
    assert is_valid_atena(number, "zero", length=7)
    assert not is_valid_atena(number, "zero", length=8)
    assert not is_valid_atena("5", "zero")


def test_unknown_policy_is_an_error() -> None:
    with pytest.raises(ValueError):
        atena_check_digit("12345", "maybe")


CHECKS: list[tuple[Callable[[str], bool], str]] = [
    (is_valid_lgcode, "131041"),
    (is_valid_mynumber, "123456789018"),
    (is_valid_juminhyo_code, "12345678903"),
]


@pytest.mark.parametrize(("check", "good"), CHECKS)
def test_surrounding_spaces_are_not_silently_accepted(check: Callable[[str], bool], good: str) -> None:
    assert check(good)
    assert not check(f" {good}")
