"""JSON API of 連携: event schemas, the PULL feed, webhook subscriptions, dead letters, inbox, files."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from lgcloud.errors import NotFound
from lgcloud.linkage import feed, files, handoff, subscriptions
from lgcloud.linkage.catalogue import CATALOGUE, kind_of
from lgcloud.linkage.schemas import event_schema
from lgcloud.linkage.signal import FeedWakeups
from lgcloud.residents.commands import AddressInput
from lgcloud.residents.queries import MASK
from lgcloud.residents.services import Actor
from lgcloud.tenancy.permissions import Permission
from lgcloud.tenancy.principal import Principal
from lgcloud.web.deps import TenantContext, require_login, tenant_access

router = APIRouter(tags=["linkage"])

Manager = Annotated[TenantContext, Depends(tenant_access(Permission.LINKAGE_MANAGE))]
Reader = Annotated[TenantContext, Depends(tenant_access(Permission.RESIDENT_READ))]
Writer = Annotated[TenantContext, Depends(tenant_access(Permission.RESIDENT_WRITE))]


# --- schemas (platform level) ---------------------------------------------------------------------


class SchemaOut(BaseModel):
    type: str
    title: str
    reasons: list[str]
    description: str
    schema_url: str


@router.get("/linkage/schemas", response_model=list[SchemaOut])
def list_schemas(request: Request, _: Annotated[Principal, Depends(require_login)]) -> list[SchemaOut]:
    """The event catalogue: every CloudEvents ``type`` with its JSON Schema's URL."""
    return [
        SchemaOut(
            type=k.type,
            title=k.title,
            reasons=list(k.reasons),
            description=k.description,
            schema_url=str(request.url_for("get_schema", event_type=k.type).path),
        )
        for k in CATALOGUE
    ]


@router.get("/linkage/schemas/{event_type}")
def get_schema(event_type: str, _: Annotated[Principal, Depends(require_login)]) -> JSONResponse:
    """The JSON Schema (draft 2020-12) of one event type."""
    if kind_of(event_type) is None:
        raise NotFound(f"イベント種別 {event_type} はありません", code="event-type-not-found")
    return JSONResponse(event_schema(event_type), media_type="application/schema+json")


# --- the PULL feed --------------------------------------------------------------------------------


@router.get("/municipalities/{lg_code}/events")
async def read_events(
    request: Request,
    ctx: Reader,
    after: Annotated[str | None, Query(description="カーソル（前回の next_cursor）。省略時は先頭から")] = None,
    limit: Annotated[int, Query(ge=1, le=feed.MAX_LIMIT)] = 100,
    type: Annotated[list[str] | None, Query(description="イベント種別で絞り込み（複数可）")] = None,
    wait: Annotated[float, Query(ge=0, le=feed.MAX_WAIT_SECONDS, description="ロングポーリング秒数")] = 0,
) -> JSONResponse:
    """CloudEvents after a cursor, in order. ``wait`` > 0: hold the request until an event arrives."""
    req = feed.FeedRequest(
        lg_code=ctx.lg_code,
        after=feed.parse_cursor(after),
        limit=feed.check_limit(limit),
        types=tuple(feed.check_types(type or [])),
        actor=ctx.principal.name,
        include_mynumber=ctx.principal.can(Permission.MYNUMBER_READ),
        source_ip=ctx.source_ip,
    )
    deadline = time.monotonic() + feed.clamp_wait(wait)
    wakeups: FeedWakeups | None = getattr(request.app.state, "feed_wakeups", None)
    while True:
        ticket = wakeups.ticket(ctx.lg_code) if wakeups else None
        final = time.monotonic() >= deadline
        if final or not (wakeups and wakeups.nothing_after(ctx.lg_code, req.after)):
            page = await run_in_threadpool(feed.poll, ctx.db, req, final=final)
            if page is not None:
                break
        if wakeups and ticket and wakeups.listening:  # PostgreSQL: sleep until a commit says so
            await wakeups.wait(ticket, deadline - time.monotonic())
            if ticket.is_set():  # let the commits right behind it join the page (fewer, fuller pages)
                await asyncio.sleep(max(0.0, min(feed.COALESCE_SECONDS, deadline - time.monotonic())))
        else:
            await asyncio.sleep(feed.POLL_INTERVAL)
    response = JSONResponse(page.as_json())
    next_url = request.url.include_query_params(after=str(page.next_cursor))
    response.headers["Link"] = f'<{next_url.path}?{next_url.query}>; rel="next"'
    return response


# --- webhook subscriptions ------------------------------------------------------------------------


class SubscriptionIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="連携システム名（例: 国保）")
    url: str = Field(min_length=1, max_length=2000)
    event_types: list[str] = Field(default_factory=list, description="空なら全種別")
    after: int | None = Field(default=None, ge=0, description="このカーソルの次から配信。省略時は今後のイベントのみ")


class SubscriptionOut(BaseModel):
    sub_id: int
    name: str
    url: str
    event_types: list[str]
    active: bool
    cursor: int
    created_at: datetime
    created_by: str
    counts: dict[str, int] = Field(default_factory=dict)
    secret: str | None = Field(default=None, description="署名鍵。作成時に一度だけ返します")


def _sub_out(
    sub: subscriptions.Subscription, counts: dict[tuple[int, str], int] | None = None, secret: str | None = None
) -> SubscriptionOut:
    mine = {state: n for (sub_id, state), n in (counts or {}).items() if sub_id == sub.sub_id}
    return SubscriptionOut(**sub.__dict__, counts=mine, secret=secret)


@router.get("/municipalities/{lg_code}/linkage/subscriptions", response_model=list[SubscriptionOut])
def list_subscriptions(ctx: Manager) -> list[SubscriptionOut]:
    with ctx.session() as session:
        counts = subscriptions.counts(session, ctx.lg_code)
        return [_sub_out(s, counts) for s in subscriptions.list_all(session, ctx.lg_code)]


@router.post(
    "/municipalities/{lg_code}/linkage/subscriptions",
    response_model=SubscriptionOut,
    status_code=status.HTTP_201_CREATED,
)
def create_subscription(body: SubscriptionIn, ctx: Manager) -> SubscriptionOut:
    with ctx.session() as session:
        sub, secret = subscriptions.create(
            session,
            ctx.lg_code,
            name=body.name,
            url=body.url,
            event_types=body.event_types,
            after=body.after,
            actor=ctx.principal.name,
        )
        return _sub_out(sub, secret=secret)


@router.get("/municipalities/{lg_code}/linkage/subscriptions/{sub_id}", response_model=SubscriptionOut)
def get_subscription(sub_id: int, ctx: Manager) -> SubscriptionOut:
    with ctx.session() as session:
        return _sub_out(subscriptions.get(session, ctx.lg_code, sub_id), subscriptions.counts(session, ctx.lg_code))


class ActiveIn(BaseModel):
    active: bool


@router.post("/municipalities/{lg_code}/linkage/subscriptions/{sub_id}/active", response_model=SubscriptionOut)
def set_subscription_active(sub_id: int, body: ActiveIn, ctx: Manager) -> SubscriptionOut:
    with ctx.session() as session:
        return _sub_out(subscriptions.set_active(session, ctx.lg_code, sub_id, body.active, actor=ctx.principal.name))


class ReplayIn(BaseModel):
    after: int = Field(ge=0, description="このカーソルの次のイベントから配信し直します")


@router.post("/municipalities/{lg_code}/linkage/subscriptions/{sub_id}/replay", response_model=SubscriptionOut)
def replay_subscription(sub_id: int, body: ReplayIn, ctx: Manager) -> SubscriptionOut:
    with ctx.session() as session:
        return _sub_out(subscriptions.replay(session, ctx.lg_code, sub_id, body.after, actor=ctx.principal.name))


class RetryOut(BaseModel):
    requeued: int


@router.post("/municipalities/{lg_code}/linkage/subscriptions/{sub_id}/retry-dead", response_model=RetryOut)
def retry_dead_letters(sub_id: int, ctx: Manager) -> RetryOut:
    with ctx.session() as session:
        return RetryOut(requeued=subscriptions.retry_dead(session, ctx.lg_code, sub_id, actor=ctx.principal.name))


class DeliveryOut(BaseModel):
    sub_id: int
    seq: int
    event_id: str
    event_type: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@router.get("/municipalities/{lg_code}/linkage/deliveries", response_model=list[DeliveryOut])
def list_deliveries(
    ctx: Manager,
    state: str | None = None,
    sub_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeliveryOut]:
    """Deliveries, newest first; ``state=dead`` lists the dead letters."""
    with ctx.session() as session:
        rows = subscriptions.list_deliveries(session, ctx.lg_code, sub_id=sub_id, state=state, limit=limit)
        return [DeliveryOut(**{k: v for k, v in r.items() if k != "lg_code"}) for r in rows]


# --- 団体間 inbox ----------------------------------------------------------------------------------


def _masked(item: dict[str, Any], can_read_mynumber: bool) -> dict[str, Any]:
    out = {k: v for k, v in item.items() if k != "lg_code"}
    if can_read_mynumber or item["kind"] != handoff.CERTIFICATE:
        return out
    movers = []
    for mover in item["payload"].get("異動者", []):
        entry = {**mover, "入力": {**mover["入力"]}, "表示": {**mover["表示"]}}
        if entry["入力"].get("mynumber"):
            entry["入力"]["mynumber"] = MASK
        if entry["表示"].get("個人番号"):
            entry["表示"]["個人番号"] = MASK
        movers.append(entry)
    out["payload"] = {**item["payload"], "異動者": movers}
    return out


@router.get("/municipalities/{lg_code}/linkage/inbox")
def list_inbox(ctx: Reader, kind: str | None = None) -> list[dict[str, Any]]:
    """Handoffs addressed to this municipality (転出証明書情報 from members, 転入通知)."""
    with ctx.session() as session:
        items = handoff.list_items(session, ctx.lg_code, kind=kind)
        ctx.audit(session, "linkage:inbox:list", detail={"count": len(items)})
        can = ctx.principal.can(Permission.MYNUMBER_READ)
        return [_masked(i, can) for i in items]


@router.get("/municipalities/{lg_code}/linkage/inbox/{item_id}")
def get_inbox_item(item_id: int, ctx: Reader) -> dict[str, Any]:
    with ctx.session() as session:
        item = handoff.get_item(session, ctx.lg_code, item_id)
        ctx.audit(session, "linkage:inbox:read", target=f"item:{item_id}")
        return _masked(item, ctx.principal.can(Permission.MYNUMBER_READ))


class CompleteIn(BaseModel):
    address: AddressInput
    ido_date: str | None = Field(default=None, description="転入日（省略時は本日）")
    to_setai_no: str | None = None
    zokugara: dict[str, str] | None = Field(default=None, description="元宛名番号 → 転入後の続柄")


@router.post("/municipalities/{lg_code}/linkage/inbox/{item_id}/complete")
def complete_inbox_item(item_id: int, body: CompleteIn, ctx: Writer) -> dict[str, Any]:
    """特例転入: the 転入 from the 転出証明書情報, then the 転入通知 back to the source."""
    completion = handoff.Completion(
        address=body.address, ido_date=body.ido_date, to_setai_no=body.to_setai_no, zokugara=body.zokugara
    )
    actor = Actor(ctx.principal.name, source_ip=ctx.source_ip)
    return handoff.complete(ctx.db, ctx.lg_code, item_id, completion, actor=actor)


# --- files ----------------------------------------------------------------------------------------


@router.get("/municipalities/{lg_code}/linkage/files")
def list_file_exports(ctx: Reader) -> list[dict[str, Any]]:
    with ctx.session() as session:
        return [_public(e) for e in files.list_exports(session, ctx.lg_code)]


def _public(export: dict[str, Any]) -> dict[str, Any]:
    """An export without server-side details (the tenant key, the directory on disk)."""
    return {k: v for k, v in export.items() if k not in ("lg_code", "directory")}


@router.post("/municipalities/{lg_code}/linkage/files/full", status_code=status.HTTP_201_CREATED)
def create_full_export(request: Request, ctx: Manager) -> dict[str, Any]:
    """On-demand 全件 file set (every person's current record), with its manifest."""
    root = files.export_root(request.app.state.settings)
    return _public(files.write_full(ctx.db, ctx.lg_code, root, actor=ctx.principal.name))


@router.get("/municipalities/{lg_code}/linkage/files/{export_id}/{name}")
def download_file(request: Request, export_id: int, name: str, ctx: Reader) -> FileResponse:
    with ctx.session() as session:
        path = files.file_path(session, ctx.lg_code, export_id, name)
        ctx.audit(session, "linkage:file:download", target=f"export:{export_id}/{name}")
    return FileResponse(path, filename=name)
