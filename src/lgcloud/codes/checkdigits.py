"""Check digits (検査数字) of the identifiers a 住民記録 system handles.

Algorithms follow `shared/reference/standards.md` §5. Every `validate_*` function returns ``None`` when the
value is valid and a short Japanese reason otherwise, so callers (CLI, migration validator, API) can show why.
Only ASCII digits are accepted: full-width digits are a data-cleaning decision the caller must make visibly.
"""

from __future__ import annotations

import re
from enum import StrEnum

from lgcloud.codes.errors import CodesError

_DIGITS = re.compile(r"[0-9]+")


def _digits_reason(value: object, length: int | None, what: str) -> str | None:
    """The reason ``value`` is not a string of ASCII digits of the given length, or None."""
    if not isinstance(value, str):
        return f"{what}は文字列で指定してください"
    if not _DIGITS.fullmatch(value):
        return f"{what}は半角数字で指定してください"
    if length is not None and len(value) != length:
        return f"{what}は{length}桁です（{len(value)}桁あります）"
    return None


def _require_digits(value: str, length: int | None, what: str) -> None:
    reason = _digits_reason(value, length, what)
    if reason is not None:
        raise CodesError(reason, code="codes-bad-digits", value=value)


def _mismatch(value: str, expected: str) -> str | None:
    if value[-1] == expected:
        return None
    return f"検査数字が一致しません（末尾は {expected} のはずです）"


# --- 全国地方公共団体コード -------------------------------------------------------------------------

_LGCODE_WEIGHTS = (6, 5, 4, 3, 2)


def lgcode_check_digit(code5: str) -> str:
    """検査数字 of a 5-digit JIS X 0402 code: (11 − Σ wᵢdᵢ mod 11) mod 10, weights 6..2.

    The final mod 10 is why remainders 0 and 1 give 1 and 0 (and 10 → 0 is shared with nothing else).
    """
    _require_digits(code5, 5, "団体コード（検査数字なし）")
    total = sum(w * int(d) for w, d in zip(_LGCODE_WEIGHTS, code5, strict=True))
    return str((11 - total % 11) % 10)


def lgcode_with_check_digit(code5: str) -> str:
    """The 6-digit 全国地方公共団体コード for a 5-digit code (e.g. 13104 → 131041)."""
    return code5 + lgcode_check_digit(code5)


def validate_lgcode(value: str) -> str | None:
    """None if ``value`` is a valid 6-digit 全国地方公共団体コード, else the reason."""
    reason = _digits_reason(value, 6, "全国地方公共団体コード")
    return reason or _mismatch(value, lgcode_check_digit(value[:5]))


def is_valid_lgcode(value: str) -> bool:
    return validate_lgcode(value) is None


# --- 個人番号 / 住民票コード (the same modulus-11 shape, different lengths) ------------------------


def _mod11_from_right(body: str) -> str:
    """Weights 2..7 then restart at 2, counted from the rightmost digit; remainder ≤ 1 gives 0.

    This is 平成26年総務省令第85号 §5 for 個人番号 (11-digit body) and, provisionally, the 住民票コード rule
    (10-digit body).
    """
    total = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(body)))
    remainder = total % 11
    return "0" if remainder <= 1 else str(11 - remainder)


def mynumber_check_digit(body11: str) -> str:
    """検査用数字 of an 11-digit 個人番号 body. For validation and test data only: numbers are issued by J-LIS."""
    _require_digits(body11, 11, "個人番号（検査用数字なし）")
    return _mod11_from_right(body11)


def validate_mynumber(value: str) -> str | None:
    """None if ``value`` is a 12-digit 個人番号 with a correct 検査用数字, else the reason."""
    reason = _digits_reason(value, 12, "個人番号")
    return reason or _mismatch(value, _mod11_from_right(value[:11]))


def is_valid_mynumber(value: str) -> bool:
    return validate_mynumber(value) is None


def juminhyo_check_digit(body10: str) -> str:
    """検査数字 of a 10-digit 住民票コード body. PROVISIONAL: the 告示 text was not verified (standards §5.3)."""
    _require_digits(body10, 10, "住民票コード（検査数字なし）")
    return _mod11_from_right(body10)


def validate_juminhyo_code(value: str) -> str | None:
    """None if ``value`` is an 11-digit 住民票コード passing the provisional check, else the reason."""
    reason = _digits_reason(value, 11, "住民票コード")
    return reason or _mismatch(value, _mod11_from_right(value[:10]))


def is_valid_juminhyo_code(value: str) -> bool:
    return validate_juminhyo_code(value) is None


# --- 宛名番号 / 世帯番号 (M11W2-7) -------------------------------------------------------------------


class RemainderOnePolicy(StrEnum):
    """What a municipality does when Σ mod 11 = 1 (11 − 1 = 10 does not fit one digit).

    The standard leaves it open and migrated numbers are never renumbered, so it is a per-municipality setting.
    """

    ZERO = "zero"  #: check digit 0, like 個人番号
    SKIP = "skip"  #: such bodies are never assigned; a number with that body is invalid


class UnassignableNumberError(CodesError):
    """The body has remainder 1 and the municipality skips such numbers."""

    code = "codes-unassignable-number"


def _atena_remainder(body: str) -> int:
    return sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(body))) % 11


def atena_check_digit(body: str, remainder_one_policy: RemainderOnePolicy | str) -> str:
    """検査数字 of a 宛名番号/世帯番号 body: 11 − r, r = 0 → 0, r = 1 → the municipality's policy.

    Raises `UnassignableNumberError` for a remainder-1 body under `RemainderOnePolicy.SKIP`.
    """
    _require_digits(body, None, "宛名番号（検査数字なし）")
    policy = RemainderOnePolicy(remainder_one_policy)
    remainder = _atena_remainder(body)
    if remainder == 0:
        return "0"
    if remainder > 1:
        return str(11 - remainder)
    if policy is RemainderOnePolicy.ZERO:
        return "0"
    raise UnassignableNumberError(f"{body} は検査数字を付けられない番号です（余り1は欠番）", body=body)


def is_assignable_atena_body(body: str, remainder_one_policy: RemainderOnePolicy | str) -> bool:
    """Whether ``body`` can get a check digit under the policy (always true under ZERO)."""
    _require_digits(body, None, "宛名番号（検査数字なし）")
    return RemainderOnePolicy(remainder_one_policy) is RemainderOnePolicy.ZERO or _atena_remainder(body) != 1


def next_atena_number(previous_body: str, remainder_one_policy: RemainderOnePolicy | str) -> str:
    """The next full number (body + check digit) after ``previous_body``, same width, skipping as needed.

    Sequential numbering is what the standard prescribes; under SKIP the remainder-1 bodies are passed over.
    """
    _require_digits(previous_body, None, "宛名番号（検査数字なし）")
    width, value = len(previous_body), int(previous_body)
    while True:
        value += 1
        body = str(value).zfill(width)
        if len(body) > width:
            raise CodesError(f"{width}桁の宛名番号を使い切りました", code="codes-number-exhausted")
        if is_assignable_atena_body(body, remainder_one_policy):
            return body + atena_check_digit(body, remainder_one_policy)


def validate_atena(
    value: str, remainder_one_policy: RemainderOnePolicy | str, *, length: int | None = None
) -> str | None:
    """None if ``value`` (body + check digit) is a valid 宛名番号/世帯番号, else the reason.

    ``length`` is the municipality's fixed width including the check digit, when it has one.
    """
    reason = _digits_reason(value, length, "宛名番号")
    if reason is None and len(value) < 2:
        reason = "宛名番号は本体と検査数字の2桁以上です"
    if reason is not None:
        return reason
    try:
        expected = atena_check_digit(value[:-1], remainder_one_policy)
    except UnassignableNumberError:
        return "余り1の番号は欠番のため無効です（余り1の扱い: skip）"
    return _mismatch(value, expected)


def is_valid_atena(value: str, remainder_one_policy: RemainderOnePolicy | str, *, length: int | None = None) -> bool:
    return validate_atena(value, remainder_one_policy, length=length) is None
