"""Every analytics table by key, computed from per-municipality data when there is a snapshot for the
reference date, otherwise shown from the published aggregates of that date.

``build(key, ctx)`` is what the CLI, the API and the UI call; ``TABLE_KEYS`` lists the keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from lgcloud.analytics import aggregates, charts
from lgcloud.analytics import status as S
from lgcloud.analytics.cost import cost_per_resident_table
from lgcloud.analytics.municipalities import (
    BandScheme,
    Population,
    band_scheme,
    by_code,
    census_2020_japanese,
)
from lgcloud.analytics.tables import Table, make_table
from lgcloud.errors import LgcloudError, NotFound

PAPER_DATE = date(2018, 6, 15)


@dataclass(frozen=True)
class OwnMember:
    """A member of the platform's own cloud group and its go-live status (from tenancy)."""

    lg_code: str
    name: str
    group: str
    status: str  # tenancy status code: onboarding / migrating / live / left
    status_label: str
    joined_on: date | None = None


@dataclass
class Context:
    ref_date: date | None = None
    snapshot: S.Snapshot | None = None
    population: Population = field(default_factory=census_2020_japanese)
    scheme: BandScheme = field(default_factory=band_scheme)
    costs: Mapping[str, int] | None = None
    fiscal_year: int | None = None
    own_members: Sequence[OwnMember] = ()
    #: status counts of every stored reference date (per-municipality data), for the trend
    snapshot_points: Sequence[aggregates.TrendPoint] = ()

    @property
    def date(self) -> date:
        return self.ref_date or (self.snapshot.ref_date if self.snapshot else PAPER_DATE)


def _aggregate(kind: str, ctx: Context) -> Table:
    found = aggregates.find(kind, ctx.date)
    if not found:
        dates = ", ".join(d.isoformat() for d in aggregates.reference_dates(kind)) or "なし"
        raise NotFound(
            f"{ctx.date.isoformat()} の団体別データも公表集計値（{kind}）もありません（集計値のある基準日: {dates}）",
            code="no-data-for-date",
        )
    return aggregates.table(found[0])


def _status(ctx: Context) -> Table:
    return S.status_table(ctx.snapshot) if ctx.snapshot else _aggregate("status", ctx)


def _plans(ctx: Context) -> Table:
    return S.plan_table(ctx.snapshot) if ctx.snapshot else _aggregate("plan", ctx)


def _target_years(ctx: Context) -> Table:
    return S.target_year_table(ctx.snapshot) if ctx.snapshot else _aggregate("target_fy", ctx)


def _by_prefecture(ctx: Context) -> Table:
    if not ctx.snapshot:
        raise NotFound(
            f"{ctx.date.isoformat()} の団体別データがありません（都道府県別の公表集計値はありません）",
            code="no-data-for-date",
        )
    return S.status_by_prefecture(ctx.snapshot)


def _by_band(ctx: Context) -> Table:
    if ctx.snapshot:
        return S.status_by_band(ctx.snapshot, ctx.population, ctx.scheme)
    return _aggregate("status_by_band", ctx)


def _checks(ctx: Context) -> Table:
    if ctx.snapshot:
        return S.checks_table(S.snapshot_checks(ctx.snapshot), ctx.snapshot.ref_date, ctx.snapshot.source)
    checks = S.aggregate_checks(ctx.date)
    if all(c.ties is None for c in checks):
        raise NotFound(f"{ctx.date.isoformat()} には整合性を確かめる表がありません", code="no-data-for-date")
    return S.checks_table(checks, ctx.date, "公表集計値")


def _groups(ctx: Context) -> Table:
    if not ctx.snapshot:
        raise NotFound(f"{ctx.date.isoformat()} の団体別データがありません", code="no-data-for-date")
    return S.groups_table(ctx.snapshot, ctx.population)


def _cost(ctx: Context) -> Table:
    if not ctx.costs:
        reference = aggregates.table(aggregates.dataset("h29-cost-by-band"))
        note = "団体別の経費データがないため、総務省調査（H29年度予算）の公表値を表示（import-costs で登録）。"
        return make_table(
            "cost-per-resident",
            reference.title,
            reference.columns,
            reference.rows,
            ref_date=reference.ref_date,
            source=reference.source,
            verified=reference.verified,
            notes=(note, *reference.notes),
        )
    return cost_per_resident_table(ctx.costs, ctx.snapshot, ctx.population, ctx.scheme, ctx.fiscal_year)


def _own_group(ctx: Context) -> Table:
    rows = []
    for m in ctx.own_members:
        population = ctx.population.of(m.lg_code)
        band = ctx.scheme.band_of(population) if population is not None else None
        known = by_code().get(m.lg_code)
        rows.append(
            (
                m.lg_code,
                m.name,
                known.prefecture if known else "",
                m.group,
                m.status_label,
                m.joined_on.isoformat() if m.joined_on else None,
                population,
                band,
            )
        )
    return make_table(
        "own-group",
        "本プラットフォームの構成団体と移行・稼働状況",
        ("団体コード", "団体名", "都道府県", "グループ", "状況", "参加日", "人口", "人口区分"),
        rows,
        source="lgcloud 登録情報",
        notes=(f"人口: {ctx.population.label}",),
    )


def _own_progress(ctx: Context) -> Table:
    """Members of the platform's group by migration / go-live status, with their population."""
    counts: dict[str, list[int]] = {}
    for m in ctx.own_members:
        cell = counts.setdefault(m.status_label, [0, 0])
        cell[0] += 1
        cell[1] += ctx.population.of(m.lg_code) or 0
    rows = [(label, n, people) for label, (n, people) in counts.items()]
    rows.append(("計", sum(r[1] for r in rows), sum(r[2] for r in rows)))
    return make_table(
        "own-group-progress",
        "本プラットフォームの構成団体の移行・稼働状況",
        ("状況", "団体数", "人口"),
        rows,
        source="lgcloud 登録情報",
        notes=(f"人口: {ctx.population.label}",),
    )


BUILDERS: dict[str, tuple[str, Callable[[Context], Table]]] = {
    "status": ("クラウド導入状況（表1）", _status),
    "plans": ("導入計画（表2）", _plans),
    "target-years": ("目標年度（表3）", _target_years),
    "checks": ("整合性チェック", _checks),
    "status-by-prefecture": ("都道府県別", _by_prefecture),
    "status-by-band": ("人口規模別", _by_band),
    "groups": ("クラウドグループ", _groups),
    "trend": ("推移", lambda ctx: aggregates.trend_table(ctx.snapshot_points)),
    "aggregates": ("公表集計値の一覧", lambda ctx: aggregates.catalogue_table()),
    "cost-per-resident": ("一人当たり経費", _cost),
    "own-group": ("本グループの構成団体", _own_group),
    "own-group-progress": ("本グループの移行・稼働状況", _own_progress),
}
TABLE_KEYS = tuple(BUILDERS)


def build(key: str, ctx: Context) -> Table:
    """A table by key; ``dataset:<id>`` gives one published dataset as it is."""
    if key.startswith("dataset:"):
        return aggregates.table(aggregates.dataset(key.removeprefix("dataset:")))
    if key not in BUILDERS:
        raise NotFound(f"表「{key}」はありません（{', '.join(TABLE_KEYS)}）", code="unknown-table")
    return BUILDERS[key][1](ctx)


CHARTS: dict[str, tuple[str, Callable[[Table], charts.Chart]]] = {
    "status": ("status", charts.counts_chart),
    "plans": ("plans", charts.counts_chart),
    "target-years": ("target-years", charts.counts_chart),
    "status-by-prefecture": ("status-by-prefecture", charts.status_breakdown_chart),
    "status-by-band": ("status-by-band", charts.status_breakdown_chart),
    "trend": ("trend", charts.trend_chart),
    "cost-per-resident": ("cost-per-resident", charts.cost_chart),
    "own-group-progress": ("own-group-progress", charts.counts_chart),
}
CHART_KEYS = tuple(CHARTS)


def chart(key: str, ctx: Context) -> charts.Chart:
    if key not in CHARTS:
        raise LgcloudError(f"図「{key}」はありません（{', '.join(CHART_KEYS)}）", code="unknown-chart", status=404)
    table_key, draw = CHARTS[key]
    table = build(table_key, ctx)
    if table_key in ("status", "plans", "own-group-progress"):
        table = make_table(table.key, table.title, table.columns, [r for r in table.rows if r[0] != "計"])
    return draw(table)
