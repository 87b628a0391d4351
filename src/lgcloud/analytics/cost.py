"""IT cost per resident by population band and cloud status.

The reference is the 総務省 2018 survey of FY2017 budgets: in every band the 自治体クラウド
municipalities had the lowest cost per resident. Cost per resident of a cell = Σ cost / Σ population
of the municipalities in it (a weighted mean, as the survey's band figures are).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lgcloud.analytics.municipalities import (
    BandScheme,
    Population,
    band_scheme,
    census_2020_japanese,
    national_list,
)
from lgcloud.analytics.status import Snapshot
from lgcloud.analytics.tables import Table, make_table
from lgcloud.analytics.vocab import NO_ANSWER, Status

ALL = "全体"


@dataclass
class Cell:
    count: int = 0
    cost: int = 0
    population: int = 0

    @property
    def per_resident(self) -> float | None:
        return round(self.cost / self.population, 1) if self.population else None


def cost_cells(
    costs: Mapping[str, int], snapshot: Snapshot | None, population: Population, scheme: BandScheme
) -> tuple[dict[tuple[str, str], Cell], int]:
    """(band, status) → cell, plus the number of municipalities with a cost but no population."""
    cells: dict[tuple[str, str], Cell] = {}
    skipped = 0
    for m in national_list():
        if m.lg_code not in costs:
            continue
        pop = population.of(m.lg_code)
        if not pop:
            skipped += 1
            continue
        record = snapshot.records.get(m.lg_code) if snapshot else None
        status = record.status.value if record else NO_ANSWER
        band = scheme.band_of(pop)
        for key in ((band, status), (band, ALL), (ALL, status), (ALL, ALL)):
            cell = cells.setdefault(key, Cell())
            cell.count += 1
            cell.cost += costs[m.lg_code]
            cell.population += pop
    return cells, skipped


def cost_per_resident_table(
    costs: Mapping[str, int],
    snapshot: Snapshot | None = None,
    population: Population | None = None,
    scheme: BandScheme | None = None,
    fiscal_year: int | None = None,
) -> Table:
    """Wide table: one row per band, 円/人 and 団体数 per status, plus the band's overall figure."""
    population = population or census_2020_japanese()
    scheme = scheme or band_scheme()
    cells, skipped = cost_cells(costs, snapshot, population, scheme)
    statuses = [s.value for s in Status] + ([NO_ANSWER] if any(k[1] == NO_ANSWER for k in cells) else [])
    columns = ["人口区分"]
    for s in [*statuses, ALL]:
        columns += [f"{s} 円/人", f"{s} 団体数"]
    rows = []
    for band in [*scheme.labels, ALL]:
        row: list[object] = [band]
        for s in [*statuses, ALL]:
            cell = cells.get((band, s))
            row += [cell.per_resident if cell else None, cell.count if cell else 0]
        rows.append(tuple(row))
    notes = [f"人口: {population.label}", "一人当たり経費 = 区分内の経費合計 ÷ 人口合計"]
    if skipped:
        notes.append(f"人口が不明な {skipped} 団体は除外。")
    if snapshot is None:
        notes.append("導入状況のデータがないため状況別の内訳なし。")
    title = "人口規模別・導入状況別 住民一人当たり情報システム経費"
    if fiscal_year:
        title += f"（{fiscal_year}年度）"
    return make_table(
        f"cost-per-resident-{fiscal_year or 'all'}",
        title,
        columns,
        rows,
        ref_date=snapshot.ref_date if snapshot else None,
        source="団体別経費データ",
        notes=tuple(notes),
    )


def lowest_status_by_band(table: Table) -> dict[str, str | None]:
    """band → the status with the lowest 円/人 (the survey's finding: 自治体クラウド everywhere)."""
    result: dict[str, str | None] = {}
    status_columns = [c for c in table.columns if c.endswith(" 円/人") and not c.startswith(ALL)]
    for row in table.rows:
        values = {c[: -len(" 円/人")]: row[table.columns.index(c)] for c in status_columns}
        known = {k: v for k, v in values.items() if isinstance(v, int | float)}
        result[str(row[0])] = min(known, key=lambda k: known[k]) if known else None
    return result
