"""The analytics page of the operator console: status tables and charts, checks, cost, apportionment.

Tables come from ``lgcloud.analytics.views`` (per-municipality data when present for the date,
published aggregates otherwise); every table links to its CSV / xlsx download in the JSON API.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from lgcloud.analytics import aggregates, service, views
from lgcloud.analytics.importer import ImportRejected
from lgcloud.analytics.municipalities import BAND_SCHEMES
from lgcloud.analytics.tables import Table
from lgcloud.errors import LgcloudError
from lgcloud.tenancy.models import PLATFORM_CHAIN
from lgcloud.tenancy.permissions import Permission
from lgcloud.tenancy.principal import Principal
from lgcloud.web.api.analytics import (
    ApportionIn,
    analytics_context,
    apportion_table,
    download,
)
from lgcloud.web.deps import check_csrf, get_db, require_permission
from lgcloud.web.templating import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, Depends(require_permission(Permission.ANALYTICS_READ))]
Operator = Annotated[Principal, Depends(require_permission(Permission.GROUP_OPERATE))]

#: (table key, chart?) in page order
SECTIONS: tuple[tuple[str, bool], ...] = (
    ("status", True),
    ("checks", False),
    ("plans", True),
    ("target-years", True),
    ("status-by-band", True),
    ("status-by-prefecture", True),
    ("groups", False),
    ("trend", True),
    ("cost-per-resident", True),
    ("own-group-progress", True),
    ("own-group", False),
    ("aggregates", False),
)


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "○" if value else "×"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def _section(key: str, with_chart: bool, ctx: views.Context, query: dict[str, str]) -> dict[str, Any]:
    label = views.BUILDERS[key][0]
    try:
        table: Table | None = views.build(key, ctx)
        missing = ""
    except LgcloudError as exc:
        table, missing = None, exc.message
    params = urlencode(query)
    exports = {
        "CSV": f"/api/v1/analytics/tables/{key}/export?{urlencode({**query, 'format': 'csv'})}",
        "CSV (Excel用 Shift_JIS)": f"/api/v1/analytics/tables/{key}/export?"
        + urlencode({**query, "format": "csv", "encoding": "cp932"}),
        "Excel (xlsx)": f"/api/v1/analytics/tables/{key}/export?{urlencode({**query, 'format': 'xlsx'})}",
    }
    chart = f"/api/v1/analytics/charts/{key}?{params}" if with_chart and table is not None and table.rows else None
    return {"key": key, "label": label, "table": table, "missing": missing, "exports": exports, "chart": chart}


def _query(ref_date: date | None, bands: str | None, year: int | None, population: str | None) -> dict[str, str]:
    query = {
        "date": ref_date.isoformat() if ref_date else "",
        "bands": bands or "",
        "year": str(year or ""),
        "population": population or "",
    }
    return {k: v for k, v in query.items() if v}


@router.get("/operator/analytics", response_class=HTMLResponse)
def analytics_page(
    request: Request,
    principal: Reader,
    date: date | None = None,
    bands: str | None = None,
    year: int | None = None,
    population: str | None = None,
    message: str | None = None,
) -> Response:
    ctx = analytics_context(request, principal, date, bands or None, population or None, year)
    query = _query(ctx.date, bands, ctx.fiscal_year, population)
    with get_db(request).session() as session:
        snapshot_dates = service.snapshot_dates(session)
        cost_years = service.cost_years(session)
        populations = service.population_labels(session)
    dates = sorted({*snapshot_dates, *aggregates.reference_dates("status")}, reverse=True)
    return render(
        request,
        "analytics/index.html",
        {
            "ctx": ctx,
            "sections": [_section(k, c, ctx, query) for k, c in SECTIONS],
            "fmt": fmt,
            "dates": dates,
            "snapshot_dates": set(snapshot_dates),
            "cost_years": cost_years,
            "band_schemes": BAND_SCHEMES,
            "bands": bands or "",
            "message": message,
            "can_import": principal.can(Permission.GROUP_OPERATE),
            "populations": populations,
            "population": population or service.CENSUS_LABEL,
        },
    )


@router.post("/operator/analytics/import", response_class=HTMLResponse)
async def analytics_import(
    request: Request,
    principal: Operator,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()] = "status",
    ref_date: Annotated[str, Form()] = "",
    replace: Annotated[bool, Form()] = False,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Upload form (htmx): answers with a fragment listing the result or every error found."""
    check_csrf(request, csrf_token)
    content = await file.read()
    name = file.filename or "upload.csv"
    try:
        the_date = date.fromisoformat(ref_date) if ref_date else None
        with get_db(request).session(PLATFORM_CHAIN) as session:
            if kind == "costs":
                report = service.import_costs(session, content, name, replace=replace, actor=principal.name)
            else:
                report = service.import_status(
                    session, content, name, ref_date=the_date, replace=replace, actor=principal.name
                )
    except ImportRejected as exc:
        return render(
            request, "analytics/import_result.html", {"issues": exc.issues, "error": exc.message}, status_code=422
        )
    except ValueError:
        return render(
            request, "analytics/import_result.html", {"issues": [], "error": "基準日を読めません"}, status_code=422
        )
    except LgcloudError as exc:
        return render(
            request, "analytics/import_result.html", {"issues": [], "error": exc.message}, status_code=exc.status
        )
    return render(request, "analytics/import_result.html", {"report": report, "issues": [], "error": None})


@router.get("/operator/analytics/apportion", response_class=HTMLResponse)
def apportion_page(
    request: Request,
    principal: Reader,
    total: Annotated[int | None, Query(ge=0)] = None,
    equal: float = 0,
    population: float = 100,
    usage: float = 0,
    members: str = "",
    join: str = "",
    usage_period: str = "",
) -> Response:
    body, table, error = None, None, None
    if total is not None:
        body = _apportion_body(total, equal, population, usage, members, join, usage_period)
        try:
            table = apportion_table(request, principal, body)
        except LgcloudError as exc:
            error = exc.message
    query = urlencode({k: v for k, v in request.query_params.items()})
    return render(
        request,
        "analytics/apportion.html",
        {"table": table, "error": error, "fmt": fmt, "form": dict(request.query_params), "query": query},
    )


@router.get("/operator/analytics/apportion/export")
def apportion_export(
    request: Request,
    principal: Reader,
    total: Annotated[int, Query(ge=0)],
    equal: float = 0,
    population: float = 100,
    usage: float = 0,
    members: str = "",
    join: str = "",
    usage_period: str = "",
    format: str = "csv",
    encoding: str = "utf-8",
) -> Response:
    body = _apportion_body(total, equal, population, usage, members, join, usage_period)
    return download(apportion_table(request, principal, body), format, encoding)


def _apportion_body(
    total: int, equal: float, population: float, usage: float, members: str, join: str, usage_period: str
) -> ApportionIn:
    weights = {k: v for k, v in (("equal", equal), ("population", population), ("usage", usage)) if v}
    codes = [c.strip() for c in members.replace("、", ",").split(",") if c.strip()]
    return ApportionIn(
        total=total,
        weights=weights,
        members=codes,
        join=join.strip() or None,
        usage_period=usage_period or None,
    )
