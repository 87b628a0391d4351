"""Certificate desk (窓口): choose the persons and options → preview → issue → print; 交付履歴, 処分, 照合."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, ImmutableMultiDict

from lgcloud.certificates import services
from lgcloud.certificates.compose import ITEM_LABELS
from lgcloud.certificates.model import CERT_LABELS, CertificateOptions, CertType, Overflow
from lgcloud.errors import LgcloudError
from lgcloud.protection import services as protection
from lgcloud.residents.repository import SqlRegistry
from lgcloud.tenancy.permissions import Permission
from lgcloud.web.api.certificates import secret_of, staff_of
from lgcloud.web.deps import TenantContext, check_csrf, tenant_access
from lgcloud.web.templating import render

router = APIRouter(include_in_schema=False)
Issuer = Annotated[TenantContext, Depends(tenant_access(Permission.CERTIFICATE_ISSUE))]
BASE = "/m/{lg_code}/certificates"

FLAGS = {
    "with_history": "異動履歴を記載",
    "include_head_relation": "世帯主・続柄を記載",
    "include_honseki": "本籍・筆頭者を記載",
    "include_juminhyo_code": "住民票コードを記載",
    "include_mynumber": "個人番号を記載",
    "include_foreign_items": "国籍・在留資格等を記載（外国人住民）",
    "include_tsusho_history": "通称の記載・削除を記載（外国人住民）",
    "include_kana": "フリガナを記載",
    "omit_katagaki": "方書を省略",
}


def _members(ctx: TenantContext, setai_no: str | None, atena_no: str | None) -> tuple[str, list[dict[str, Any]]]:
    """The 世帯's current members, or one person by 宛名番号 (also a 除票, for 除票の写し / 転出証明書)."""
    if not setai_no and not atena_no:
        return "", []
    with ctx.session() as session:
        registry = SqlRegistry(session, ctx.lg_code)
        if atena_no:
            found = registry.current(atena_no.strip())
            rows = [found] if found else []
            setai_no = found.person.setai_no if found else ""
        else:
            rows = registry.members((setai_no or "").strip())
        states = protection.protection_states(session, ctx.lg_code, [r.atena_no for r in rows])
        ctx.audit(session, "certificate:members", target=atena_no or setai_no, detail={"count": len(rows)})
    members = [
        {
            "atena_no": r.atena_no,
            "shimei": r.person.shimei,
            "zokugara": r.person.zokugara,
            "status": r.person.status.value,
            "label": states[r.atena_no].label,
        }
        for r in rows
    ]
    return setai_no or "", members


def _page(request: Request, ctx: TenantContext, **extra: Any) -> Response:
    with ctx.session() as session:
        recent = services.list_issues(session, ctx.lg_code, limit=20)
    context = {
        "lg_code": ctx.lg_code,
        "types": CERT_LABELS,
        "flags": FLAGS,
        "items": ITEM_LABELS,
        "recent": recent,
        "members": [],
        "setai_no": "",
        "atena_no": "",
        "error": None,
        **extra,
    }
    return render(request, "certificates/desk.html", context)


@router.get(BASE, response_class=HTMLResponse)
def desk(request: Request, ctx: Issuer, setai_no: str | None = None, atena_no: str | None = None) -> Response:
    try:
        setai_no, members = _members(ctx, setai_no, atena_no)
    except LgcloudError as exc:
        return _page(request, ctx, error=exc.message, setai_no=setai_no or "")
    asked = bool(setai_no or atena_no)
    error = "指定された世帯・住民は見つかりません" if asked and not members else None
    return _page(request, ctx, members=members, setai_no=setai_no, atena_no=atena_no or "", error=error)


def request_from_form(form: ImmutableMultiDict[str, Any]) -> services.IssueRequest:
    cert_type = CertType(str(form.get("type") or CertType.JUMINHYO_SETAI.value))
    chosen = tuple(str(v) for v in form.getlist("member"))
    setai_no = str(form.get("setai_no") or "").strip() or None
    flags: dict[str, Any] = {flag: form.get(flag) == "on" for flag in FLAGS}
    options = CertificateOptions(
        members=chosen if cert_type is CertType.JUMINHYO_SETAI and chosen else None,
        items=tuple(str(v) for v in form.getlist("item")),
        overflow=Overflow(str(form.get("overflow") or Overflow.TRUNCATE.value)),
        purpose=str(form.get("purpose") or "")[:200],
        **flags,
    )
    release = str(form.get("release_id") or "").strip()
    return services.IssueRequest(
        cert_type=cert_type,
        atena_nos=() if cert_type is CertType.JUMINHYO_SETAI else chosen,
        setai_no=setai_no if cert_type is CertType.JUMINHYO_SETAI else None,
        options=options,
        terminal=str(form.get("terminal") or "本庁1"),
        printer=str(form.get("printer") or "プリンタ001"),
        place=str(form.get("place") or "本庁舎 窓口")[:200],
        copies=int(str(form.get("copies") or "1")) if str(form.get("copies") or "1").isdigit() else 0,
        release_id=int(release) if release.isdigit() else None,
    )


def _hidden(form: FormData) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in form.multi_items() if k != "csrf_token"]


@router.post(BASE + "/preview", response_class=HTMLResponse)
async def preview(request: Request, ctx: Issuer) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    try:
        issue_request = request_from_form(form)
        with ctx.session() as session:
            result = services.preview(session, ctx.lg_code, issue_request, staff_of(ctx))
    except (LgcloudError, ValueError) as exc:
        return _page(request, ctx, error=getattr(exc, "message", str(exc)))
    hidden = _hidden(form)
    context = {
        "lg_code": ctx.lg_code,
        "result": result,
        "hidden": hidden,
        "pdf_query": urlencode(hidden),
        "refused": not result.disclosure.allowed,
    }
    return render(request, "certificates/preview.html", context)


@router.post(BASE + "/issue", response_class=HTMLResponse)
async def issue(request: Request, ctx: Issuer) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    try:
        issue_request = request_from_form(form)
        with ctx.session() as session:
            outcome = services.issue(session, ctx.lg_code, issue_request, staff_of(ctx), secret=secret_of(request))
    except (LgcloudError, ValueError) as exc:
        return _page(request, ctx, error=getattr(exc, "message", str(exc)))
    if not outcome.disclosure.allowed:
        return _page(request, ctx, error=outcome.disclosure.message)
    return render(request, "certificates/issued.html", {"lg_code": ctx.lg_code, "outcome": outcome})


@router.get(BASE + "/preview.pdf")
def preview_pdf(request: Request, ctx: Issuer) -> Response:
    """The 見本 PDF (watermarked, no 発行番号) for the same choices, opened from the preview page."""
    try:
        issue_request = request_from_form(request.query_params)
        with ctx.session() as session:
            result = services.preview(session, ctx.lg_code, issue_request, staff_of(ctx))
    except (LgcloudError, ValueError) as exc:
        return _page(request, ctx, error=getattr(exc, "message", str(exc)))
    if not result.disclosure.allowed:
        return _page(request, ctx, error=result.disclosure.message)
    return Response(result.pdf, media_type="application/pdf", headers={"Content-Disposition": "inline"})


@router.get(BASE + "/verify", response_class=HTMLResponse)
def verify(request: Request, ctx: Issuer, code: str | None = None) -> Response:
    result = None
    if code:
        with ctx.session() as session:
            result = services.verify(session, ctx.lg_code, code, staff_of(ctx), secret=secret_of(request))
    return render(request, "certificates/verify.html", {"lg_code": ctx.lg_code, "code": code or "", "result": result})


@router.get(BASE + "/{issue_id}/pdf")
def pdf(request: Request, issue_id: int, ctx: Issuer, release_id: int | None = None) -> Response:
    try:
        with ctx.session() as session:
            result = services.download(session, ctx.lg_code, issue_id, staff_of(ctx), release_id=release_id)
    except LgcloudError as exc:
        return _page(request, ctx, error=exc.message)
    if not result.disclosure.allowed:
        return _page(request, ctx, error=result.disclosure.message)
    headers = {"Content-Disposition": f'inline; filename="certificate-{issue_id}.pdf"'}
    return Response(result.pdf, media_type="application/pdf", headers=headers)


@router.post(BASE + "/{issue_id}/disposal", response_class=HTMLResponse)
async def dispose(request: Request, issue_id: int, ctx: Issuer) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    try:
        with ctx.session() as session:
            services.dispose(session, ctx.lg_code, issue_id, staff_of(ctx), str(form.get("reason") or ""))
    except LgcloudError as exc:
        return _page(request, ctx, error=exc.message)
    return RedirectResponse(f"/m/{ctx.lg_code}/certificates", status_code=303)
