import pytest

from lgcloud.errors import LgcloudError
from lgcloud.tenancy.directory import directory, lookup_municipality, municipalities


def test_national_list_has_every_municipality_and_ward() -> None:
    assert len(directory()) == 1916
    assert len(municipalities()) == 1741


def test_lookup_returns_name_and_kana() -> None:
    gov = lookup_municipality("182079")
    assert (gov.prefecture, gov.name, gov.name_kana) == ("福井県", "鯖江市", "さばえし")


@pytest.mark.parametrize(
    ("code", "error_code"),
    [
        ("182078", "lgcode-check-digit"),  # 鯖江市 with a wrong check digit
        ("18207", "lgcode-format"),
        ("18207９", "lgcode-format"),  # full-width digit
        ("abcdef", "lgcode-format"),
        ("011011", "lgcode-unknown"),  # 札幌市中央区: a ward, not a municipality
        ("999997", "lgcode-unknown"),  # valid check digit, no such government
    ],
)
def test_lookup_rejects_bad_codes(code: str, error_code: str) -> None:
    with pytest.raises(LgcloudError) as excinfo:
        lookup_municipality(code)
    assert excinfo.value.code == error_code
