from datetime import date

import pytest

from lgcloud.analytics import municipalities as M
from lgcloud.analytics.vocab import (
    Plan,
    Status,
    fiscal_year_label,
    parse_fiscal_year,
    parse_plan,
    parse_status,
)
from lgcloud.errors import LgcloudError


def test_national_list_is_the_1741_municipalities_without_wards() -> None:
    listed = M.national_list()
    assert len(listed) == 1741
    assert all(" " not in m.name for m in listed)
    assert all(M.is_valid_lgcode(m.lg_code) for m in listed)
    assert sum(1 for m in listed if m.prefecture == "東京都" and m.name.endswith("区")) == 23
    assert M.by_code()["011002"].name == "札幌市"
    assert "011011" not in M.by_code()  # 札幌市中央区
    assert len(M.prefectures()) == 47


@pytest.mark.parametrize(
    ("five", "digit"), [("13104", 1), ("13113", 0), ("18207", 9), ("13101", 6), ("01100", 2), ("01213", 1)]
)
def test_lgcode_check_digit_worked_examples(five: str, digit: int) -> None:
    assert M.lgcode_check_digit(five) == digit
    assert M.is_valid_lgcode(f"{five}{digit}")
    assert not M.is_valid_lgcode(f"{five}{(digit + 1) % 10}")


def test_population_is_labelled_and_covers_every_municipality() -> None:
    population = M.census_2020_japanese()
    assert "Japanese nationals" in population.label
    assert population.as_of == date(2020, 10, 1)
    assert all(population.of(m.lg_code) is not None for m in M.national_list())
    assert population.of("011002") == 1_933_094


def test_bands() -> None:
    scheme = M.band_scheme("cost2018")
    assert scheme.band_of(19_999) == "2万人未満"
    assert scheme.band_of(20_000) == "2万～5万人"
    assert scheme.band_of(300_000) == "30万人以上"
    bands = M.bands_of(M.census_2020_japanese(), scheme)
    assert len(bands) == 1741
    with pytest.raises(LgcloudError):
        M.band_scheme("nope")


def test_user_supplied_population_table() -> None:
    table = M.population_from_rows([("011002", 1_973_395)], label="住民基本台帳人口", as_of=date(2024, 1, 1))
    assert table.of("011002") == 1_973_395
    with pytest.raises(LgcloudError):
        M.population_from_rows([("011003", 1)], label="x", as_of=date(2024, 1, 1))


def test_vocabularies() -> None:
    assert parse_status("自治体クラウド") is Status.SHARED
    assert parse_status("単独") is Status.STANDALONE
    assert parse_status(" none ") is Status.NONE
    assert parse_plan("") is None
    assert parse_plan("未検討") is Plan.NOT_CONSIDERED
    with pytest.raises(LgcloudError) as caught:
        parse_status("クラウド")
    assert caught.value.code == "bad-status"


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("2019", 2019),
        ("H31", 2019),
        ("平成31年度", 2019),
        ("R1", 2019),
        ("令和元年度", 2019),
        ("H39以降", 2027),
        ("", None),
    ],
)
def test_fiscal_years(text: str, year: int | None) -> None:
    assert parse_fiscal_year(text) == year


def test_fiscal_year_label() -> None:
    assert fiscal_year_label(2018) == "2018年度 (H30)"
    assert fiscal_year_label(2020) == "2020年度 (H32/R2)"
    with pytest.raises(LgcloudError):
        parse_fiscal_year("来年")
