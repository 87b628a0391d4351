"""支援措置責任者 desk: alerts, disclosure reviews (release / reject), 抑止 and 支援措置."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from lgcloud.errors import LgcloudError
from lgcloud.protection import domain, services
from lgcloud.protection import repository as repo
from lgcloud.protection.domain import Level, Process, Scope
from lgcloud.residents.services import today_jst
from lgcloud.tenancy.permissions import Permission
from lgcloud.web.deps import TenantContext, check_csrf, tenant_access
from lgcloud.web.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/m/{lg_code}/protection"
Setter = Annotated[TenantContext, Depends(tenant_access(Permission.PROTECTION_SET))]
Releaser = Annotated[TenantContext, Depends(tenant_access(Permission.PROTECTION_RELEASE))]
Reviewer = Annotated[TenantContext, Depends(tenant_access(Permission.PROTECTION_TEMP_RELEASE))]


def _actor(ctx: TenantContext) -> services.Actor:
    return services.Actor(ctx.principal.name, ctx.source_ip)


def _page(request: Request, ctx: TenantContext, error: str | None = None) -> Response:
    today = today_jst()
    with ctx.session() as session:
        context = {
            "lg_code": ctx.lg_code,
            "alerts": services.alerts(session, ctx.lg_code, today),
            "requests": services.list_requests(session, ctx.lg_code),
            "suppressions": repo.load_suppressions(session, ctx.lg_code),
            "measures": services.list_measures(session, ctx.lg_code),
            "processes": list(Process),
            "levels": list(Level),
            "scopes": list(Scope),
            "status_labels": services.STATUS_LABELS,
            "today": today,
            "error": error,
        }
        ctx.audit(session, "protection:desk:read")
    return render(request, "protection/desk.html", context)


@router.get(BASE, response_class=HTMLResponse)
def desk(request: Request, ctx: Setter) -> Response:
    return _page(request, ctx)


async def _form(request: Request) -> FormData:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    return form


def _date(form: FormData, name: str) -> date | None:
    value = str(form.get(name) or "").strip()
    return date.fromisoformat(value) if value else None


async def _act(request: Request, ctx: TenantContext, action: Callable[[Any, FormData], object]) -> Response:
    form = await _form(request)
    try:
        with ctx.session() as session:
            action(session, form)
    except (LgcloudError, ValueError) as exc:
        return _page(request, ctx, error=getattr(exc, "message", str(exc)))
    return RedirectResponse(f"/m/{ctx.lg_code}/protection", status_code=303)


@router.post(BASE + "/suppressions", response_class=HTMLResponse)
async def add_suppression(request: Request, ctx: Setter) -> Response:
    def action(session: Any, form: FormData) -> object:
        return services.set_suppression(
            session,
            ctx.lg_code,
            _actor(ctx),
            scope=Scope(str(form.get("scope"))),
            target=str(form.get("target") or ""),
            process=Process(str(form.get("process"))),
            level=Level(str(form.get("level"))),
            start_on=_date(form, "start_on") or today_jst(),
            end_on=_date(form, "end_on"),
            reason=str(form.get("reason") or ""),
        )

    return await _act(request, ctx, action)


@router.post(BASE + "/suppressions/{suppression_id}/release", response_class=HTMLResponse)
async def release(request: Request, suppression_id: int, ctx: Releaser) -> Response:
    return await _act(
        request,
        ctx,
        lambda s, f: services.release_suppression(
            s, ctx.lg_code, _actor(ctx), suppression_id, str(f.get("reason") or "")
        ),
    )


@router.post(BASE + "/suppressions/{suppression_id}/temporary-release", response_class=HTMLResponse)
async def temp_release(request: Request, suppression_id: int, ctx: Reviewer) -> Response:
    def action(session: Any, form: FormData) -> object:
        minutes = str(form.get("minutes") or services.DEFAULT_TEMP_RELEASE_MINUTES)
        return services.temporarily_release(
            session, ctx.lg_code, _actor(ctx), suppression_id, str(form.get("reason") or ""), minutes=int(minutes)
        )

    return await _act(request, ctx, action)


@router.post(BASE + "/support-measures", response_class=HTMLResponse)
async def register(request: Request, ctx: Setter) -> Response:
    def action(session: Any, form: FormData) -> object:
        applicant = domain.Party(
            name=str(form.get("name") or ""),
            atena_no=str(form.get("atena_no") or "") or None,
            address=str(form.get("address") or ""),
        )
        companions = tuple(
            domain.Party(name=a, atena_no=a, relation="併せて支援を求める者")
            for a in str(form.get("companions") or "").replace("、", ",").split(",")
            if a.strip()
        )
        perpetrators = tuple(
            domain.Perpetrator(name=str(form.get("perpetrator") or "")) for _ in [0] if form.get("perpetrator")
        )
        measure = domain.apply(
            applicant, _date(form, "received_on") or today_jst(), companions=companions, perpetrators=perpetrators
        )
        return services.register_measure(session, ctx.lg_code, _actor(ctx), measure, today=today_jst())

    return await _act(request, ctx, action)


@router.post(BASE + "/support-measures/{support_id}/decision", response_class=HTMLResponse)
async def decide(request: Request, support_id: int, ctx: Setter) -> Response:
    return await _act(
        request,
        ctx,
        lambda s, f: services.decide_measure(
            s, ctx.lg_code, _actor(ctx), support_id, _date(f, "start_on") or today_jst()
        ),
    )


@router.post(BASE + "/support-measures/{support_id}/extension", response_class=HTMLResponse)
async def extend(request: Request, support_id: int, ctx: Setter) -> Response:
    return await _act(
        request, ctx, lambda s, f: services.extend_measure(s, ctx.lg_code, _actor(ctx), support_id, today_jst())
    )


@router.post(BASE + "/support-measures/{support_id}/end", response_class=HTMLResponse)
async def end(request: Request, support_id: int, ctx: Setter) -> Response:
    return await _act(
        request,
        ctx,
        lambda s, f: services.end_measure(
            s, ctx.lg_code, _actor(ctx), support_id, today_jst(), str(f.get("reason") or "")
        ),
    )


@router.post(BASE + "/requests/{request_id}/review", response_class=HTMLResponse)
async def review(request: Request, request_id: int, ctx: Reviewer) -> Response:
    return await _act(
        request,
        ctx,
        lambda s, f: services.review_request(
            s,
            ctx.lg_code,
            _actor(ctx),
            request_id,
            release=f.get("decision") == "release",
            reason=str(f.get("reason") or ""),
        ),
    )
