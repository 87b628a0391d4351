"""連携 pages: webhook subscriptions and dead letters (admin), the 団体間 inbox (clerk), files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lgcloud.errors import LgcloudError
from lgcloud.linkage import files, handoff, subscriptions
from lgcloud.linkage.catalogue import CATALOGUE
from lgcloud.residents.commands import AddressInput
from lgcloud.residents.services import Actor
from lgcloud.tenancy.permissions import Permission
from lgcloud.web.deps import TenantContext, check_csrf, tenant_access
from lgcloud.web.templating import render

router = APIRouter(include_in_schema=False)

Manager = Annotated[TenantContext, Depends(tenant_access(Permission.LINKAGE_MANAGE))]
Reader = Annotated[TenantContext, Depends(tenant_access(Permission.RESIDENT_READ))]
Writer = Annotated[TenantContext, Depends(tenant_access(Permission.RESIDENT_WRITE))]
STATE_LABELS = {"pending": "配信待ち", "delivered": "配信済み", "dead": "配信不能"}


@router.get("/m/{lg_code}/linkage", response_class=HTMLResponse)
def linkage_page(request: Request, ctx: Manager, error: str | None = None, secret: str | None = None) -> Response:
    with ctx.session() as session:
        subs = subscriptions.list_all(session, ctx.lg_code)
        counts = subscriptions.counts(session, ctx.lg_code)
        dead = subscriptions.list_deliveries(session, ctx.lg_code, state="dead", limit=200)
        exports = files.list_exports(session, ctx.lg_code, limit=20)
    return render(
        request,
        "linkage/index.html",
        {
            "lg_code": ctx.lg_code,
            "subs": subs,
            "counts": counts,
            "dead": dead,
            "exports": exports,
            "catalogue": CATALOGUE,
            "labels": STATE_LABELS,
            "error": error,
            "secret": secret,
        },
    )


@router.post("/m/{lg_code}/linkage/subscriptions", response_class=HTMLResponse)
def create_subscription(
    request: Request,
    ctx: Manager,
    name: Annotated[str, Form()] = "",
    url: Annotated[str, Form()] = "",
    event_types: Annotated[list[str] | None, Form()] = None,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        with ctx.session() as session:
            _, secret = subscriptions.create(
                session, ctx.lg_code, name=name, url=url, event_types=event_types or [], actor=ctx.principal.name
            )
    except LgcloudError as exc:
        return linkage_page(request, ctx, error=exc.message)
    return linkage_page(request, ctx, secret=secret)


@router.post("/m/{lg_code}/linkage/subscriptions/{sub_id}/{action}", response_class=HTMLResponse)
def subscription_action(
    request: Request,
    sub_id: int,
    action: str,
    ctx: Manager,
    after: Annotated[int, Form()] = 0,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """retry-dead | replay | pause | resume."""
    check_csrf(request, csrf_token)
    try:
        with ctx.session() as session:
            actor = ctx.principal.name
            if action == "retry-dead":
                subscriptions.retry_dead(session, ctx.lg_code, sub_id, actor=actor)
            elif action == "replay":
                subscriptions.replay(session, ctx.lg_code, sub_id, after, actor=actor)
            elif action in ("pause", "resume"):
                subscriptions.set_active(session, ctx.lg_code, sub_id, action == "resume", actor=actor)
            else:
                raise LgcloudError("不明な操作です", code="action-invalid")
    except LgcloudError as exc:
        return linkage_page(request, ctx, error=exc.message)
    return RedirectResponse(f"/m/{ctx.lg_code}/linkage", status_code=303)


@router.get("/m/{lg_code}/linkage/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, ctx: Reader) -> Response:
    with ctx.session() as session:
        items = handoff.list_items(session, ctx.lg_code)
        ctx.audit(session, "linkage:inbox:list", detail={"count": len(items)})
    return render(request, "linkage/inbox.html", {"lg_code": ctx.lg_code, "items": items})


@router.get("/m/{lg_code}/linkage/inbox/{item_id}", response_class=HTMLResponse)
def inbox_item_page(request: Request, item_id: int, ctx: Reader, error: str | None = None) -> Response:
    with ctx.session() as session:
        item = handoff.get_item(session, ctx.lg_code, item_id)
        ctx.audit(session, "linkage:inbox:read", target=f"item:{item_id}")
    return render(
        request,
        "linkage/item.html",
        {
            "lg_code": ctx.lg_code,
            "item": item,
            "error": error,
            "can_complete": ctx.principal.can(Permission.RESIDENT_WRITE),
            "show_mynumber": ctx.principal.can(Permission.MYNUMBER_READ),
        },
    )


@router.post("/m/{lg_code}/linkage/inbox/{item_id}/complete", response_class=HTMLResponse)
def inbox_complete(
    request: Request,
    item_id: int,
    ctx: Writer,
    address: Annotated[str, Form()] = "",
    katagaki: Annotated[str, Form()] = "",
    postal_code: Annotated[str, Form()] = "",
    ido_date: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        completion = handoff.Completion(
            address=AddressInput(address=address, katagaki=katagaki or None, postal_code=postal_code or None),
            ido_date=ido_date or None,
        )
        handoff.complete(
            ctx.db, ctx.lg_code, item_id, completion, actor=Actor(ctx.principal.name, source_ip=ctx.source_ip)
        )
    except LgcloudError as exc:
        return inbox_item_page(request, item_id, ctx, error=exc.message)
    except ValueError as exc:  # pydantic: e.g. an empty address
        return inbox_item_page(request, item_id, ctx, error=f"入力内容に誤りがあります: {exc}")
    return RedirectResponse(f"/m/{ctx.lg_code}/linkage/inbox/{item_id}", status_code=303)
