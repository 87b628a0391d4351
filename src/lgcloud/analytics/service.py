"""Analytics services: store and read survey snapshots, costs, population tables and usage.

Every function takes the caller's ``Session`` (one transaction, opened on the platform chain by the
CLI and the web layer): a rejected file raises before anything is written, and a failure midway
rolls the whole transaction back, so nothing is ever half-imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from lgcloud.analytics import aggregates, importer
from lgcloud.analytics.models import Cost, PopulationTable, PopulationValue, StatusRow, StatusSnapshot, Usage
from lgcloud.analytics.municipalities import Population, census_2020_japanese, population_from_rows
from lgcloud.analytics.status import Snapshot, StatusRecord
from lgcloud.analytics.views import Context, OwnMember
from lgcloud.analytics.vocab import Plan, Status
from lgcloud.db.session import use_tenant
from lgcloud.errors import Conflict, LgcloudError, NotFound

CENSUS_LABEL = "census2020"


@dataclass
class ImportReport:
    ref_date: date | None
    inserted: int
    replaced: int = 0
    warnings: list[str] = field(default_factory=list)


def _audit(session: Session, actor: str, action: str, detail: dict[str, object]) -> None:
    """Record on the platform's audit chain, then return to the transaction's tenant context."""
    try:
        from lgcloud.tenancy.audit import record_audit
        from lgcloud.tenancy.models import PLATFORM_CHAIN
    except ImportError:  # analytics runs without tenancy (pure use)
        return
    original = str(session.info.get("lg_code", ""))
    use_tenant(session, PLATFORM_CHAIN)
    record_audit(session, lg_code=PLATFORM_CHAIN, actor=actor, action=action, detail=detail)
    use_tenant(session, original)


# --- status snapshots ---------------------------------------------------------------------------------


def import_status(
    session: Session,
    content: bytes,
    file_name: str,
    *,
    ref_date: date | None = None,
    replace: bool = False,
    source: str = "",
    actor: str = "system",
) -> ImportReport:
    """Validate the whole file, then store its rows under its one reference date.

    A municipality already answered at that date is a conflict unless ``replace``; answers of other
    dates are never touched or combined.
    """
    parsed = importer.parse_status_file(content, file_name, ref_date)
    codes = [r.lg_code for r in parsed.records]
    existing = set(
        session.execute(
            select(StatusRow.municipality_code).where(
                StatusRow.ref_date == parsed.ref_date, StatusRow.municipality_code.in_(codes)
            )
        ).scalars()
    )
    if existing and not replace:
        shown = "、".join(sorted(existing)[:10]) + (" …" if len(existing) > 10 else "")
        raise Conflict(
            f"基準日 {parsed.ref_date} に登録済みの団体があります（{len(existing)} 団体: {shown}）。"
            "置き換える場合は replace を指定してください。何も登録していません。",
            code="already-imported",
        )
    if session.get(StatusSnapshot, parsed.ref_date) is None:
        session.add(StatusSnapshot(ref_date=parsed.ref_date, source=source or file_name, created_by=actor))
        session.flush()
    if existing:
        session.execute(
            delete(StatusRow).where(StatusRow.ref_date == parsed.ref_date, StatusRow.municipality_code.in_(existing))
        )
    session.add_all(_status_row(parsed.ref_date, r, file_name, actor) for r in parsed.records)
    session.flush()
    detail = {"ref_date": parsed.ref_date.isoformat(), "file": file_name, "rows": len(codes), "replaced": len(existing)}
    _audit(session, actor, "analytics.import-status", detail)
    return ImportReport(parsed.ref_date, len(codes) - len(existing), len(existing), [str(w) for w in parsed.warnings])


def _status_row(ref_date: date, record: StatusRecord, file_name: str, actor: str) -> StatusRow:
    return StatusRow(
        ref_date=ref_date,
        municipality_code=record.lg_code,
        status=record.status.value,
        plan=record.plan.value if record.plan else None,
        target_fy=record.target_fy,
        group_name=record.group,
        source_file=file_name[:300],
        imported_by=actor,
    )


def snapshot_dates(session: Session) -> list[date]:
    return list(session.execute(select(StatusSnapshot.ref_date).order_by(StatusSnapshot.ref_date)).scalars())


def snapshot_points(session: Session) -> list[aggregates.TrendPoint]:
    """Status counts of every stored reference date (rows present only; absent municipalities are not guessed)."""
    counts: dict[date, dict[str, int | None]] = {}
    query = select(StatusRow.ref_date, StatusRow.status, func.count()).group_by(StatusRow.ref_date, StatusRow.status)
    for ref_date, status, count in session.execute(query):
        counts.setdefault(ref_date, {s.value: 0 for s in Status})[status] = int(count)
    sources = dict(session.execute(select(StatusSnapshot.ref_date, StatusSnapshot.source)).all())
    return [aggregates.TrendPoint(d, c, sources.get(d, ""), None, "団体別データ") for d, c in sorted(counts.items())]


def load_snapshot(session: Session, ref_date: date) -> Snapshot | None:
    header = session.get(StatusSnapshot, ref_date)
    if header is None:
        return None
    rows = session.execute(select(StatusRow).where(StatusRow.ref_date == ref_date)).scalars()
    records = [
        StatusRecord(r.municipality_code, Status(r.status), Plan(r.plan) if r.plan else None, r.target_fy, r.group_name)
        for r in rows
    ]
    return Snapshot.of(ref_date, records, f"団体別データ（{header.source}）")


def delete_snapshot(session: Session, ref_date: date, actor: str = "system") -> int:
    if session.get(StatusSnapshot, ref_date) is None:
        raise NotFound(f"基準日 {ref_date} の団体別データはありません", code="snapshot-not-found")
    count = session.execute(delete(StatusRow).where(StatusRow.ref_date == ref_date)).rowcount
    session.execute(delete(StatusSnapshot).where(StatusSnapshot.ref_date == ref_date))
    _audit(session, actor, "analytics.delete-status", {"ref_date": ref_date.isoformat(), "rows": count})
    return int(count or 0)


# --- costs --------------------------------------------------------------------------------------------


def import_costs(
    session: Session, content: bytes, file_name: str, *, replace: bool = False, actor: str = "system"
) -> ImportReport:
    parsed = importer.parse_cost_file(content, file_name)
    existing = []
    for (code, year), amount in parsed.costs.items():
        row = session.get(Cost, (year, code))
        if row is not None:
            existing.append(row)
            if replace:
                row.amount_yen, row.source, row.recorded_by = amount, file_name, actor
    if existing and not replace:
        raise Conflict(
            f"登録済みの経費があります（{len(existing)} 件）。"
            "置き換える場合は replace を指定してください。何も登録していません。",
            code="already-imported",
        )
    known = {(r.municipality_code, r.fiscal_year) for r in existing}
    session.add_all(
        Cost(fiscal_year=y, municipality_code=c, amount_yen=a, source=file_name, recorded_by=actor)
        for (c, y), a in parsed.costs.items()
        if (c, y) not in known
    )
    session.flush()
    _audit(session, actor, "analytics.import-costs", {"file": file_name, "rows": len(parsed.costs)})
    return ImportReport(None, len(parsed.costs) - len(existing), len(existing), [str(w) for w in parsed.warnings])


def set_cost(session: Session, lg_code: str, fiscal_year: int, amount_yen: int, actor: str = "system") -> None:
    message = importer.check_lgcode(lg_code)
    if message:
        raise LgcloudError(f"団体コード「{lg_code}」: {message}", code="bad-lgcode")
    if amount_yen < 0:
        raise LgcloudError("金額が負です", code="bad-amount")
    row = session.get(Cost, (fiscal_year, lg_code))
    if row is None:
        session.add(Cost(fiscal_year=fiscal_year, municipality_code=lg_code, amount_yen=amount_yen, recorded_by=actor))
    else:
        row.amount_yen, row.recorded_by = amount_yen, actor
    session.flush()


def cost_years(session: Session) -> list[int]:
    return list(session.execute(select(Cost.fiscal_year).distinct().order_by(Cost.fiscal_year)).scalars())


def costs_for(session: Session, fiscal_year: int) -> dict[str, int]:
    rows = session.execute(select(Cost.municipality_code, Cost.amount_yen).where(Cost.fiscal_year == fiscal_year))
    return {code: int(amount) for code, amount in rows}


# --- population tables --------------------------------------------------------------------------------


def import_population(
    session: Session,
    content: bytes,
    file_name: str,
    *,
    label: str,
    as_of: date,
    note: str = "",
    actor: str = "system",
) -> ImportReport:
    """Load an official population table (e.g. 住民基本台帳人口) under its own label."""
    if not label.strip() or label == CENSUS_LABEL:
        raise LgcloudError("人口表の名前を指定してください（census2020 は組み込みの表です）", code="bad-label")
    values = importer.parse_population_file(content, file_name)
    if session.execute(select(PopulationTable).where(PopulationTable.label == label)).scalar_one_or_none():
        raise Conflict(f"人口表「{label}」は登録済みです", code="already-imported")
    table = PopulationTable(label=label, as_of=as_of, note=note)
    session.add(table)
    session.flush()
    session.add_all(
        PopulationValue(table_id=table.table_id, municipality_code=c, population=p) for c, p in values.items()
    )
    session.flush()
    _audit(session, actor, "analytics.import-population", {"label": label, "rows": len(values)})
    return ImportReport(as_of, len(values))


def population_labels(session: Session) -> list[str]:
    return [CENSUS_LABEL, *session.execute(select(PopulationTable.label).order_by(PopulationTable.label)).scalars()]


def population(session: Session, label: str | None = None) -> Population:
    """The named population table; by default the vendored 2020 census (Japanese nationals)."""
    if not label or label == CENSUS_LABEL:
        return census_2020_japanese()
    table = session.execute(select(PopulationTable).where(PopulationTable.label == label)).scalar_one_or_none()
    if table is None:
        raise NotFound(f"人口表「{label}」はありません", code="population-not-found")
    rows = session.execute(
        select(PopulationValue.municipality_code, PopulationValue.population).where(
            PopulationValue.table_id == table.table_id
        )
    )
    return population_from_rows(((c, int(p)) for c, p in rows), label=table.label, as_of=table.as_of, note=table.note)


# --- usage (利用量割) ----------------------------------------------------------------------------------


def record_usage(session: Session, period: str, metric: str, values: Mapping[str, int]) -> None:
    for code, value in values.items():
        if value < 0:
            raise LgcloudError(f"{code}: 利用量が負です", code="bad-usage")
        row = session.get(Usage, (period, metric, code))
        if row is None:
            session.add(Usage(period=period, metric=metric, municipality_code=code, value=value))
        else:
            row.value = value
    session.flush()


AUDIT_EVENTS = "audit-events"


def _count_for(session: Session, code: str, metric: str, period: str | None) -> int:
    from lgcloud.db.models import load_all_models

    if metric == AUDIT_EVENTS:
        table = load_all_models().tables["tenancy_audit_log"]
        query = select(func.count()).select_from(table).where(table.c.lg_code == code)
        if period:
            query = query.where(table.c.occurred_at.startswith(period))
        return int(session.execute(query).scalar_one())
    name = metric.removeprefix("rows:")
    table = load_all_models().tables.get(name)
    if not metric.startswith("rows:") or table is None or "lg_code" not in table.c:
        raise LgcloudError(
            f"利用量の指標「{metric}」はありません（{AUDIT_EVENTS} または rows:<テナント表名>）", code="unknown-metric"
        )
    return int(session.execute(select(func.count()).select_from(table).where(table.c.lg_code == code)).scalar_one())


def measure_usage(session: Session, codes: list[str], metric: str, period: str | None = None) -> dict[str, int]:
    """Usage measured by lgcloud itself, per member: audit events in a period (transactions) or rows
    of a tenant table (records). Counts only — no row is read. Each count runs in that member's own
    tenant context (row-level security on PostgreSQL), then the original context is restored."""
    original = str(session.info.get("lg_code", ""))
    try:
        result = {}
        for code in codes:
            use_tenant(session, code)
            result[code] = _count_for(session, code, metric, period)
        return result
    finally:
        use_tenant(session, original)


def usage_for(session: Session, period: str, metric: str) -> dict[str, int]:
    rows = session.execute(
        select(Usage.municipality_code, Usage.value).where(Usage.period == period, Usage.metric == metric)
    )
    return {code: int(value) for code, value in rows}


# --- demo ------------------------------------------------------------------------------------------


def load_demo(session: Session, *, seed: int = 0, with_costs: bool = True, actor: str = "demo") -> ImportReport:
    """Synthetic per-municipality data whose totals are the paper's Tables 1–3 (H30.6.15), labelled 架空,
    and synthetic FY2017 costs. Goes through the same import path as a real file."""
    from lgcloud.analytics.synthetic import SYNTHETIC_SOURCE, paper_snapshot, synthetic_costs

    snapshot = paper_snapshot(seed)
    lines = ["団体コード,導入状況,導入計画,目標年度,グループ名"]
    lines += [
        f"{r.lg_code},{r.status.value},{r.plan.value if r.plan else ''},{r.target_fy or ''},{r.group or ''}"
        for r in snapshot.records.values()
    ]
    report = import_status(
        session,
        "\n".join(lines).encode(),
        "demo.csv",
        ref_date=snapshot.ref_date,
        replace=True,
        source=SYNTHETIC_SOURCE,
        actor=actor,
    )
    if with_costs:
        costs = synthetic_costs(snapshot, census_2020_japanese().values, seed)
        session.execute(delete(Cost).where(Cost.fiscal_year == 2017, Cost.municipality_code.in_(list(costs))))
        session.add_all(
            Cost(fiscal_year=2017, municipality_code=c, amount_yen=a, source=SYNTHETIC_SOURCE, recorded_by=actor)
            for c, a in costs.items()
        )
        session.flush()
    return report


# --- the platform's own group -------------------------------------------------------------------------


def own_members(session: Session, group_id: int | None = None) -> list[OwnMember]:
    """Current members of the platform's cloud group(s) with their migration / go-live status."""
    try:
        from lgcloud.tenancy import services as tenancy
    except ImportError:
        return []
    labels = getattr(tenancy, "MUNICIPALITY_STATUSES", {})
    members = []
    for municipality, group in tenancy.list_municipalities(session, group_id):
        membership = tenancy.current_membership(session, municipality.lg_code)
        members.append(
            OwnMember(
                municipality.lg_code,
                municipality.name,
                group.name,
                municipality.status,
                labels.get(municipality.status, municipality.status),
                membership.joined_on if membership else None,
            )
        )
    return members


def context(
    session: Session,
    ref_date: date | None = None,
    *,
    fiscal_year: int | None = None,
    population_label: str | None = None,
    band_scheme_name: str | None = None,
    group_id: int | None = None,
) -> Context:
    """Everything a view needs: the snapshot of that date (if any), costs, population, own members."""
    from lgcloud.analytics.municipalities import band_scheme

    dates = snapshot_dates(session)
    if ref_date is None and dates:
        ref_date = dates[-1]
    years = cost_years(session)
    year = fiscal_year if fiscal_year is not None else (years[-1] if years else None)
    return Context(
        ref_date=ref_date,
        snapshot=load_snapshot(session, ref_date) if ref_date else None,
        population=population(session, population_label),
        scheme=band_scheme(band_scheme_name) if band_scheme_name else band_scheme(),
        costs=costs_for(session, year) if year is not None else None,
        fiscal_year=year,
        own_members=own_members(session, group_id),
        snapshot_points=snapshot_points(session),
    )


def count_rows(session: Session) -> dict[str, int]:
    return {
        "status_rows": session.execute(select(func.count()).select_from(StatusRow)).scalar_one(),
        "snapshots": session.execute(select(func.count()).select_from(StatusSnapshot)).scalar_one(),
        "costs": session.execute(select(func.count()).select_from(Cost)).scalar_one(),
    }
