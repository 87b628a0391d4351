"""Published aggregate figures (``data/aggregates.yaml``) as tables, with their provenance.

Each dataset is one table of one reference date from one source; datasets of different reference
dates are never added together (H30.4.1 407/660 and H30.6.15 404/667 are different surveys).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources

import yaml

from lgcloud.analytics.tables import Table, make_table
from lgcloud.analytics.vocab import Plan, Status, fiscal_year_label, parse_fiscal_year
from lgcloud.errors import NotFound

KINDS = (
    "status",
    "plan",
    "target_fy",
    "status_by_band",
    "groups",
    "cost_by_band",
    "cost_total",
    "target",
    "standardisation",
)


@dataclass(frozen=True)
class Dataset:
    id: str
    title: str
    kind: str
    ref_date: date
    source: str
    verified: bool
    unit: str = "団体"
    source_url: str = ""
    note: str = ""
    universe: int | None = None
    band_scheme: str | None = None
    open_ended_last: bool = False
    values: Mapping[str, int | None] = field(default_factory=dict)
    rows: Mapping[str, Mapping[str, int | None]] = field(default_factory=dict)

    @property
    def source_text(self) -> str:
        return f"{self.source} {self.source_url}".strip()

    def meta(self) -> dict[str, object]:
        notes = (self.note,) if self.note else ()
        return {
            "ref_date": self.ref_date,
            "source": self.source_text,
            "verified": self.verified,
            "notes": notes,
        }

    def fiscal_year_counts(self) -> dict[int, int]:
        """target_fy datasets: 西暦 fiscal year → count."""
        counts: dict[int, int] = {}
        for label, count in self.values.items():
            year = parse_fiscal_year(str(label))
            if year is not None and count is not None:
                counts[year] = count
        return counts


def _dataset(raw: dict) -> Dataset:
    if raw["kind"] not in KINDS:
        raise ValueError(f"aggregates.yaml: {raw['id']}: unknown kind {raw['kind']}")
    return Dataset(**raw)


@cache
def datasets() -> tuple[Dataset, ...]:
    text = resources.files("lgcloud.analytics.data").joinpath("aggregates.yaml").read_text(encoding="utf-8")
    loaded = tuple(_dataset(raw) for raw in yaml.safe_load(text)["datasets"])
    ids = [d.id for d in loaded]
    if len(ids) != len(set(ids)):
        raise ValueError("aggregates.yaml: duplicate dataset id")
    return loaded


def dataset(dataset_id: str) -> Dataset:
    for d in datasets():
        if d.id == dataset_id:
            return d
    raise NotFound(f"集計データ「{dataset_id}」はありません", code="unknown-dataset")


def find(kind: str, ref_date: date | None = None) -> list[Dataset]:
    return [d for d in datasets() if d.kind == kind and (ref_date is None or d.ref_date == ref_date)]


def reference_dates(kind: str = "status") -> list[date]:
    return sorted({d.ref_date for d in find(kind)})


def _percent(part: int | None, whole: int | None) -> float | None:
    if part is None or not whole:
        return None
    return round(100 * part / whole, 1)


def status_table(d: Dataset) -> Table:
    known = [d.values.get(s) for s in Status]
    total = sum(v for v in known if v is not None) if None not in known else None
    universe = d.universe or total
    rows = [(s.value, d.values.get(s), _percent(d.values.get(s), universe)) for s in Status]
    rows.append(("計", total, _percent(total, universe)))
    return make_table(d.id, d.title, ("導入状況", "団体数", "割合(%)"), rows, **d.meta())


def plan_table(d: Dataset) -> Table:
    total = sum(v or 0 for v in d.values.values())
    rows = [(p.value, d.values.get(p), _percent(d.values.get(p), total)) for p in Plan]
    rows.append(("計", total, 100.0))
    return make_table(d.id, d.title, ("導入計画", "団体数", "割合(%)"), rows, **d.meta())


def target_year_table(d: Dataset) -> Table:
    counts = d.fiscal_year_counts()
    last = max(counts) if counts else None
    rows: list[tuple[object, ...]] = []
    for year in sorted(counts):
        label = fiscal_year_label(year) + ("以降" if d.open_ended_last and year == last else "")
        rows.append((label, counts[year]))
    rows.append(("計", sum(counts.values())))
    return make_table(d.id, d.title, ("目標年度", "団体数"), rows, **d.meta())


def matrix_table(d: Dataset, row_label: str = "人口区分") -> Table:
    columns: list[str] = []
    for cells in d.rows.values():
        columns.extend(c for c in cells if c not in columns)
    rows = [(label, *(cells.get(c) for c in columns)) for label, cells in d.rows.items()]
    return make_table(d.id, d.title, (row_label, *columns), rows, **d.meta())


def values_table(d: Dataset) -> Table:
    rows = [(k, v) for k, v in d.values.items()]
    return make_table(d.id, d.title, ("項目", d.unit), rows, **d.meta())


def table(d: Dataset) -> Table:
    """The natural table of a dataset."""
    if d.kind == "status":
        return status_table(d)
    if d.kind == "plan":
        return plan_table(d)
    if d.kind == "target_fy":
        return target_year_table(d)
    if d.rows:
        return matrix_table(d)
    return values_table(d)


@dataclass(frozen=True)
class TrendPoint:
    """Status counts of one reference date from one source (a dataset or a per-municipality snapshot)."""

    ref_date: date
    counts: Mapping[str, int | None]
    source: str
    verified: bool | None = None
    kind: str = "公表集計値"


def _points() -> list[TrendPoint]:
    return [
        TrendPoint(d.ref_date, {str(k): v for k, v in d.values.items()}, d.source, d.verified) for d in find("status")
    ]


def trend_table(extra: Sequence[TrendPoint] = ()) -> Table:
    """Status counts across reference dates, one row per source (never merged, even on the same date)."""
    rows = []
    for p in sorted([*_points(), *extra], key=lambda x: (x.ref_date, x.kind, x.source)):
        shared, standalone = p.counts.get(Status.SHARED), p.counts.get(Status.STANDALONE)
        cloud = shared + standalone if shared is not None and standalone is not None else None
        mark = "—" if p.verified is None else ("○" if p.verified else "未確認")
        rows.append(
            (p.ref_date.isoformat(), p.counts.get(Status.NONE), standalone, shared, cloud, p.kind, mark, p.source)
        )
    title = "クラウド導入状況の推移" + ("" if extra else "（公表集計値）")
    return make_table(
        "trend",
        title,
        (
            "基準日",
            Status.NONE.value,
            Status.STANDALONE.value,
            Status.SHARED.value,
            "クラウド導入計",
            "種類",
            "確認",
            "出典",
        ),
        rows,
        notes=("基準日の異なる調査は合算しない。未確認の行は原資料で要確認。",),
    )


def catalogue_table() -> Table:
    rows = [
        (d.id, d.ref_date.isoformat(), d.kind, d.title, "○" if d.verified else "未確認", d.source_text)
        for d in sorted(datasets(), key=lambda x: (x.ref_date, x.id))
    ]
    return make_table("aggregates", "公表集計値の一覧", ("ID", "基準日", "種類", "表題", "確認", "出典"), rows)
