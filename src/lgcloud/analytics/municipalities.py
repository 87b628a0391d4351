"""The national list of 1,741 市区町村, their 2020 populations and population bands.

Sources (vendored, read from the package only):
- ``lgcloud/data/localgovjp/localgovjp-utf8.csv`` (CC0): codes, prefectures, names; the 175 ward rows of
  designated cities (a space in ``city``) are dropped, leaving the 1,741 市区町村 (incl. the 23 特別区).
- ``analytics/data/japanese-population-2020.csv`` (MIT): **2020 census, Japanese nationals**.
"""

from __future__ import annotations

import csv
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources

from lgcloud.errors import LgcloudError

EXPECTED_MUNICIPALITIES = 1741


def lgcode_check_digit(five: str) -> int:
    """検査数字 of a 5-digit JIS X 0402 code (standards.md §5.1): (11 − Σ dᵢ·wᵢ mod 11) mod 10, w = 6..2."""
    total = sum(int(d) * w for d, w in zip(five, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def _local_is_valid_lgcode(code: str) -> bool:
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return False
    return lgcode_check_digit(code[:5]) == int(code[5])


try:  # the shared implementation in lgcloud.codes when it is there; the same rule otherwise
    from lgcloud.codes import is_valid_lgcode as _shared_is_valid_lgcode  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the codes package
    _shared_is_valid_lgcode = _local_is_valid_lgcode


def is_valid_lgcode(code: str) -> bool:
    """6 ASCII digits whose last digit is the 全国地方公共団体コード check digit (standards.md §5.1)."""
    return bool(_shared_is_valid_lgcode(code))


@dataclass(frozen=True)
class Municipality:
    lg_code: str
    prefecture: str
    name: str
    kana: str

    @property
    def pref_code(self) -> str:
        return self.lg_code[:2]


@dataclass(frozen=True)
class Population:
    """A population table keyed by lg_code, always labelled with what it counts."""

    label: str
    as_of: date
    values: Mapping[str, int]
    note: str = ""

    def of(self, lg_code: str) -> int | None:
        return self.values.get(lg_code)


@dataclass(frozen=True)
class BandScheme:
    """Population bands: ``edges`` are lower bounds of all bands but the first, ascending."""

    name: str
    edges: tuple[int, ...]
    labels: tuple[str, ...]
    note: str = field(default="")

    def __post_init__(self) -> None:
        if len(self.labels) != len(self.edges) + 1 or list(self.edges) != sorted(set(self.edges)):
            raise ValueError(f"band scheme {self.name}: labels must be edges + 1, edges ascending")

    def band_of(self, population: int) -> str:
        return self.labels[bisect_right(self.edges, population)]


BAND_SCHEMES: dict[str, BandScheme] = {
    "cost2018": BandScheme(
        "cost2018",
        (20_000, 50_000, 100_000, 200_000, 300_000),
        ("2万人未満", "2万～5万人", "5万～10万人", "10万～20万人", "20万～30万人", "30万人以上"),
        "総務省「市区町村における情報システム経費の調査結果」(2018) の区分",
    ),
    "h28": BandScheme(
        "h28",
        (50_000, 200_000, 500_000),
        ("5万人未満", "5万～20万人", "20万～50万人", "50万人以上"),
        "地方行財政WG 資料 (H28.4.1 速報) の区分",
    ),
}
DEFAULT_BANDS = "cost2018"


def band_scheme(name: str = DEFAULT_BANDS) -> BandScheme:
    try:
        return BAND_SCHEMES[name]
    except KeyError:
        raise LgcloudError(
            f"人口区分「{name}」はありません（{', '.join(BAND_SCHEMES)}）", code="unknown-band-scheme"
        ) from None


def _read_package_csv(package: str, name: str) -> list[dict[str, str]]:
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(text.splitlines()))


@cache
def national_list() -> tuple[Municipality, ...]:
    """All 1,741 市区町村 (wards of designated cities excluded), in code order."""
    rows = _read_package_csv("lgcloud.data.localgovjp", "localgovjp-utf8.csv")
    found = [Municipality(r["lgcode"], r["pref"], r["city"], r["citykana"]) for r in rows if " " not in r["city"]]
    found.sort(key=lambda m: m.lg_code)
    if len(found) != EXPECTED_MUNICIPALITIES:
        raise RuntimeError(f"vendored list has {len(found)} municipalities, expected {EXPECTED_MUNICIPALITIES}")
    return tuple(found)


@cache
def by_code() -> dict[str, Municipality]:
    return {m.lg_code: m for m in national_list()}


@cache
def prefectures() -> tuple[str, ...]:
    """The 47 prefectures in JIS X 0401 order."""
    seen: dict[str, str] = {}
    for m in national_list():
        seen.setdefault(m.pref_code, m.prefecture)
    return tuple(seen[k] for k in sorted(seen))


@cache
def census_2020_japanese() -> Population:
    rows = _read_package_csv("lgcloud.analytics.data", "japanese-population-2020.csv")
    return Population(
        label="2020年国勢調査 日本人人口 (2020 census, Japanese nationals)",
        as_of=date(2020, 10, 1),
        values={r["lgcode"]: int(r["japanese_population_2020"]) for r in rows},
        note="外国人住民を含まない。人口規模区分と推計にのみ使用（総人口ではない）。",
    )


def population_from_rows(rows: Iterable[tuple[str, int]], *, label: str, as_of: date, note: str = "") -> Population:
    """An official total-population table a user supplies (e.g. 住民基本台帳人口)."""
    values: dict[str, int] = {}
    for code, count in rows:
        if not is_valid_lgcode(code):
            raise LgcloudError(f"団体コード「{code}」が不正です", code="bad-lgcode")
        if count < 0:
            raise LgcloudError(f"{code}: 人口が負です", code="bad-population")
        values[code] = count
    return Population(label=label, as_of=as_of, values=values, note=note)


def bands_of(population: Population, scheme: BandScheme) -> dict[str, str]:
    """lg_code → band label for every listed municipality with a population."""
    return {m.lg_code: scheme.band_of(p) for m in national_list() if (p := population.of(m.lg_code)) is not None}
