"""文字コード照会 page and, for municipal admins, the 外字 mapping review (proposed → confirmed)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from lgcloud.errors import LgcloudError, NotFound
from lgcloud.moji import service
from lgcloud.moji.index import get_index
from lgcloud.moji.report import describe
from lgcloud.moji.suggest import suggest
from lgcloud.tenancy.permissions import Permission
from lgcloud.tenancy.principal import Principal
from lgcloud.web.api.moji import export_response, import_upload, read_upload
from lgcloud.web.deps import TenantContext, check_csrf, require_permission, tenant_access
from lgcloud.web.templating import render

router = APIRouter(include_in_schema=False)

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/ipamj/ipamjm.ttf"),
    Path("/usr/share/fonts/opentype/ipamj/ipamjm.ttf"),
    Path("/usr/share/fonts/truetype/fonts-japanese-mincho.ttf"),
)
STATUS_LABELS = {"proposed": "提案中", "confirmed": "確定", "rejected": "却下"}
KIND_LABELS = {"pua": "私用領域 (U+E000…)", "cp932": "cp932 ユーザー定義 (F040…)", "jplus": "住基ネット統一文字 (J+…)"}

Reader = Annotated[TenantContext, Depends(tenant_access(Permission.MOJI_READ))]
Manager = Annotated[TenantContext, Depends(tenant_access(Permission.MOJI_MANAGE))]


@router.get("/moji/font/ipamjm.ttf")
def font(_: Annotated[Principal, Depends(require_permission(Permission.MOJI_READ))]) -> Response:
    """IPAmj明朝 from the Debian package fonts-ipamj-mincho, so every MJ glyph shows as intended."""
    for path in FONT_CANDIDATES:
        if path.exists():
            return FileResponse(path, media_type="font/ttf", headers={"Cache-Control": "private, max-age=604800"})
    raise NotFound("IPAmj明朝 がインストールされていません (fonts-ipamj-mincho)", code="moji-font-missing")


def _suggest_clues(request: Request) -> dict[str, Any]:
    params = request.query_params
    clues: dict[str, Any] = {k: params.get(k) or None for k in ("reading", "radical", "similar", "ids")}
    strokes = params.get("strokes", "")
    clues["strokes"] = int(strokes) if strokes.isdigit() else None
    return clues


def _lookup_context(request: Request, q: str, base: str) -> dict[str, Any]:
    info = describe(q) if q.strip() else None
    return {
        "base": base, "q": q, "info": info, "not_found": bool(q.strip()) and info is None, "can_manage": False,
        "message": request.query_params.get("msg"), "error": None, "meta": get_index().meta,
    }  # fmt: skip


@router.get("/moji", response_class=HTMLResponse)
def platform_lookup_page(
    request: Request,
    _: Annotated[Principal, Depends(require_permission(Permission.MOJI_READ))],
    q: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """文字コード照会 without a municipality (cloud-group operators preparing a migration)."""
    return render(request, "moji/lookup.html", _lookup_context(request, q, "/moji"))


def _page(request: Request, ctx: TenantContext, q: str, *, message: str | None = None, error: str | None = None,
          status_code: int = 200) -> Response:  # fmt: skip
    can_manage = ctx.principal.can(Permission.MOJI_MANAGE)
    context = _lookup_context(request, q, f"/m/{ctx.lg_code}/moji")
    context.update(
        lg_code=ctx.lg_code, can_manage=can_manage, message=message, error=error, status_labels=STATUS_LABELS,
        kind_labels=KIND_LABELS, clues=_suggest_clues(request),
    )  # fmt: skip
    if can_manage:
        with ctx.session() as session:
            context["mappings"] = service.export_rows(session, ctx.lg_code)
        clues = context["clues"]
        if any(v is not None for v in clues.values()):
            try:
                context["suggestions"] = suggest(**clues, limit=30)
            except LgcloudError as exc:
                context["error"] = exc.message
        context["source"] = {
            k: request.query_params.get(k, "") for k in ("source_system", "source_kind", "source_code")
        }
    return render(request, "moji/lookup.html", context, status_code=status_code)


@router.get("/m/{lg_code}/moji", response_class=HTMLResponse)
def lookup_page(request: Request, ctx: Reader, q: Annotated[str, Query(max_length=40)] = "") -> Response:
    return _page(request, ctx, q, message=request.query_params.get("msg"))


def _back(ctx: TenantContext, message: str) -> RedirectResponse:
    from urllib.parse import quote

    return RedirectResponse(f"/m/{ctx.lg_code}/moji?msg={quote(message)}#mappings", status_code=303)


@router.post("/m/{lg_code}/moji/mappings", response_class=HTMLResponse)
def propose(
    request: Request,
    ctx: Manager,
    source_system: Annotated[str, Form()] = "",
    source_kind: Annotated[str, Form()] = "pua",
    source_code: Annotated[str, Form()] = "",
    mj_code: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        with ctx.session() as session:
            row = service.propose_mapping(
                session, ctx.lg_code, source_system=source_system, source_kind=source_kind, source_code=source_code,
                mj_code=mj_code, actor=ctx.principal.name, reason=reason or None,
            )  # fmt: skip
            done = f"{row.source_code} → {row.mj_code} を提案しました (第{row.version}版)"
    except LgcloudError as exc:
        return _page(request, ctx, "", error=exc.message, status_code=exc.status)
    return _back(ctx, done)


@router.post("/m/{lg_code}/moji/mappings/review", response_class=HTMLResponse)
def review(
    request: Request,
    ctx: Manager,
    decision: Annotated[str, Form()] = "",
    source_system: Annotated[str, Form()] = "",
    source_kind: Annotated[str, Form()] = "",
    source_code: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    action = service.confirm_mapping if decision == "confirm" else service.reject_mapping
    try:
        with ctx.session() as session:
            row = action(
                session, ctx.lg_code, source_system=source_system, source_kind=source_kind, source_code=source_code,
                actor=ctx.principal.name, reason=reason or None,
            )  # fmt: skip
            done = f"{row.source_code} を{STATUS_LABELS[row.status]}にしました (第{row.version}版)"
    except LgcloudError as exc:
        return _page(request, ctx, "", error=exc.message, status_code=exc.status)
    return _back(ctx, done)


@router.post("/m/{lg_code}/moji/mappings/import", response_class=HTMLResponse)
async def import_file(
    request: Request, ctx: Manager, file: Annotated[UploadFile, File()], csrf_token: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, csrf_token)
    try:
        data, kind = await read_upload(file)
        report = import_upload(ctx, data, kind)
    except LgcloudError as exc:
        errors = exc.detail.get("errors") or []
        lines = "; ".join(f"{e['line']}行目: {e['message']}" for e in errors[:20])
        return _page(request, ctx, "", error=f"{exc.message} {lines}".strip(), status_code=exc.status)
    return _back(ctx, f"取り込みました: 追加 {report.added} 件、変更なし {report.unchanged} 件")


@router.get("/m/{lg_code}/moji/mappings/export.{fmt}")
def export_file(ctx: Reader, fmt: str) -> Response:
    if fmt not in ("csv", "xlsx"):
        raise NotFound("csv か xlsx を指定してください", code="moji-export-format")
    return export_response(ctx, fmt, None)
