"""Analytics API: adoption-status tables, published aggregates, charts, imports, cost apportionment.

Platform-level data (surveys, costs, populations): no residents' personal data. Reading needs
``analytics:read`` (operators, municipal admins); imports need ``group:operate`` (operators).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from lgcloud.analytics import aggregates, service, views
from lgcloud.analytics.apportion import Member, apportion, apportionment_table, what_if_joins
from lgcloud.analytics.municipalities import BAND_SCHEMES, by_code
from lgcloud.analytics.tables import Table, export
from lgcloud.errors import LgcloudError
from lgcloud.tenancy.models import PLATFORM_CHAIN
from lgcloud.tenancy.permissions import Permission
from lgcloud.tenancy.principal import Principal
from lgcloud.web.deps import get_db, require_permission

router = APIRouter(prefix="/analytics", tags=["analytics"])

Reader = Annotated[Principal, Depends(require_permission(Permission.ANALYTICS_READ))]
Operator = Annotated[Principal, Depends(require_permission(Permission.GROUP_OPERATE))]
MAX_UPLOAD = 20 * 1024 * 1024


class TableOut(BaseModel):
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    ref_date: date | None
    source: str
    verified: bool | None
    notes: list[str]


class ImportOut(BaseModel):
    ref_date: date | None
    inserted: int
    replaced: int
    warnings: list[str]


class ApportionIn(BaseModel):
    total: int = Field(ge=0, description="按分する総額（円）")
    weights: dict[Literal["equal", "population", "usage"], float] = Field(
        default={"population": 1}, description="均等割・人口割・利用量割の割合（合計は任意の尺度）"
    )
    members: list[str] = Field(default=[], description="構成団体コード。空なら本プラットフォームの構成団体")
    join: str | None = Field(default=None, description="参加した場合を比較する団体コード")
    total_after: int | None = Field(default=None, ge=0)
    population: str | None = None
    usage_period: str | None = None
    usage_metric: str = "records"


def table_out(table: Table) -> TableOut:
    return TableOut(
        key=table.key,
        title=table.title,
        columns=list(table.columns),
        rows=[list(r) for r in table.rows],
        ref_date=table.ref_date,
        source=table.source,
        verified=table.verified,
        notes=list(table.notes),
    )


def group_scope(session: Session, principal: Principal) -> int | None:
    """Operators see their group's members; a municipality's staff see their own group's."""
    if principal.group_id is not None:
        return principal.group_id
    if principal.lg_code:
        from lgcloud.tenancy import services as tenancy

        membership = tenancy.current_membership(session, principal.lg_code)
        return membership.group_id if membership else -1
    return -1


def analytics_context(
    request: Request,
    principal: Principal,
    ref_date: date | None,
    bands: str | None = None,
    population: str | None = None,
    year: int | None = None,
) -> views.Context:
    with get_db(request).session() as session:
        return service.context(
            session,
            ref_date,
            fiscal_year=year,
            population_label=population,
            band_scheme_name=bands,
            group_id=group_scope(session, principal),
        )


def download(table: Table, fmt: str, encoding: str) -> Response:
    content, media, name = export(table, fmt, encoding)
    ascii_name = name.encode("ascii", "replace").decode()
    return Response(content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{ascii_name}"'})


@router.get("/tables")
def list_tables(request: Request, principal: Reader) -> dict[str, Any]:
    """Table and chart keys, reference dates with per-municipality data or aggregates, band schemes."""
    with get_db(request).session() as session:
        snapshot_dates = service.snapshot_dates(session)
        cost_years = service.cost_years(session)
        populations = service.population_labels(session)
    return {
        "tables": {k: v[0] for k, v in views.BUILDERS.items()},
        "charts": list(views.CHART_KEYS),
        "snapshot_dates": snapshot_dates,
        "aggregate_dates": aggregates.reference_dates("status"),
        "cost_years": cost_years,
        "band_schemes": {k: list(s.labels) for k, s in BAND_SCHEMES.items()},
        "populations": populations,
    }


@router.get("/tables/{key}", response_model=TableOut)
def get_table(
    request: Request,
    key: str,
    principal: Reader,
    date: date | None = None,
    bands: str | None = None,
    population: str | None = None,
    year: int | None = None,
) -> TableOut:
    return table_out(views.build(key, analytics_context(request, principal, date, bands, population, year)))


@router.get("/tables/{key}/export")
def export_table(
    request: Request,
    key: str,
    principal: Reader,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
    encoding: Annotated[Literal["utf-8", "utf-8-sig", "cp932"], Query()] = "utf-8",
    date: date | None = None,
    bands: str | None = None,
    population: str | None = None,
    year: int | None = None,
) -> Response:
    """The table as CSV (utf-8, or cp932 for older Excel) or xlsx."""
    table = views.build(key, analytics_context(request, principal, date, bands, population, year))
    return download(table, format, encoding)


@router.get("/charts/{key}")
def get_chart(
    request: Request,
    key: str,
    principal: Reader,
    format: Annotated[Literal["svg", "png"], Query()] = "svg",
    date: date | None = None,
    bands: str | None = None,
    year: int | None = None,
    population: str | None = None,
) -> Response:
    drawn = views.chart(key, analytics_context(request, principal, date, bands, population, year))
    media = "image/svg+xml" if format == "svg" else "image/png"
    return Response(drawn.render(format), media_type=media, headers={"X-Series-Count": str(len(drawn.series))})


@router.get("/aggregates", response_model=TableOut)
def list_aggregates(principal: Reader) -> TableOut:
    return table_out(aggregates.catalogue_table())


@router.get("/aggregates/{dataset_id}", response_model=TableOut)
def get_aggregate(dataset_id: str, principal: Reader) -> TableOut:
    return table_out(aggregates.table(aggregates.dataset(dataset_id)))


async def _read_upload(file: UploadFile) -> bytes:
    content = await file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise LgcloudError("ファイルが大きすぎます（20MB まで）", code="too-large", status=413)
    return content


@router.post("/imports/status", response_model=ImportOut)
async def import_status(
    request: Request,
    principal: Operator,
    file: Annotated[UploadFile, File()],
    ref_date: Annotated[date | None, Form()] = None,
    replace: Annotated[bool, Form()] = False,
    source: Annotated[str, Form()] = "",
) -> ImportOut:
    """Per-municipality status file (CSV/xlsx, docs/analytics.md). One bad row rejects the whole file (422)."""
    content = await _read_upload(file)
    with get_db(request).session(PLATFORM_CHAIN) as session:
        report = service.import_status(
            session,
            content,
            file.filename or "upload.csv",
            ref_date=ref_date,
            replace=replace,
            source=source,
            actor=principal.name,
        )
    return ImportOut(**report.__dict__)


@router.post("/imports/costs", response_model=ImportOut)
async def import_costs(
    request: Request,
    principal: Operator,
    file: Annotated[UploadFile, File()],
    replace: Annotated[bool, Form()] = False,
) -> ImportOut:
    content = await _read_upload(file)
    with get_db(request).session(PLATFORM_CHAIN) as session:
        report = service.import_costs(
            session, content, file.filename or "costs.csv", replace=replace, actor=principal.name
        )
    return ImportOut(**report.__dict__)


class CostIn(BaseModel):
    amount_yen: int = Field(ge=0, description="情報システム経費（円）")


@router.put("/costs/{municipality_code}/{fiscal_year}", status_code=204)
def put_cost(request: Request, municipality_code: str, fiscal_year: int, body: CostIn, principal: Operator) -> Response:
    """Enter (or correct) one municipality's IT cost for a fiscal year (platform data, not a tenant route)."""
    with get_db(request).session(PLATFORM_CHAIN) as session:
        service.set_cost(session, municipality_code, fiscal_year, body.amount_yen, actor=principal.name)
    return Response(status_code=204)


@router.post("/imports/population", response_model=ImportOut)
async def import_population(
    request: Request,
    principal: Operator,
    file: Annotated[UploadFile, File()],
    label: Annotated[str, Form()],
    as_of: Annotated[date, Form()],
    note: Annotated[str, Form()] = "",
) -> ImportOut:
    """An official total-population table (e.g. 住民基本台帳人口), selectable as ``population=<label>``."""
    content = await _read_upload(file)
    with get_db(request).session(PLATFORM_CHAIN) as session:
        report = service.import_population(
            session,
            content,
            file.filename or "population.csv",
            label=label,
            as_of=as_of,
            note=note,
            actor=principal.name,
        )
    return ImportOut(**report.__dict__)


def members_of(session: Session, principal: Principal, body: ApportionIn) -> tuple[list[Member], Member | None]:
    population = service.population(session, body.population)
    usage = service.usage_for(session, body.usage_period, body.usage_metric) if body.usage_period else {}
    codes = body.members or [
        m.lg_code for m in service.own_members(session, group_scope(session, principal)) if m.status != "left"
    ]

    def member(code: str) -> Member:
        known = by_code().get(code)
        if known is None:
            raise LgcloudError(f"団体コード「{code}」は全国の市区町村にありません", code="bad-lgcode")
        return Member(code, known.name, population.of(code) or 0, usage.get(code, 0))

    return [member(c) for c in codes], member(body.join) if body.join else None


def apportion_table(request: Request, principal: Principal, body: ApportionIn) -> Table:
    with get_db(request).session() as session:
        members, joiner = members_of(session, principal, body)
    weights = dict(body.weights)
    if joiner is None:
        return apportionment_table(apportion(body.total, members, weights))
    return what_if_joins(body.total, members, joiner, weights, body.total_after).table()


@router.post("/apportion", response_model=TableOut)
def post_apportion(request: Request, principal: Reader, body: ApportionIn) -> TableOut:
    """Whole-yen shares that sum exactly to the total (largest remainder); with ``join``, a before/after table."""
    return table_out(apportion_table(request, principal, body))
