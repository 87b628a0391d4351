"""Login, logout, the municipality home, user administration, the audit-log view, the operator console."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lgcloud.errors import LgcloudError
from lgcloud.residents import code_pool
from lgcloud.tenancy import audit, services
from lgcloud.tenancy.models import PLATFORM_CHAIN
from lgcloud.tenancy.permissions import Permission, Role
from lgcloud.tenancy.principal import Principal
from lgcloud.web.api.residents import load_codes, pool_status
from lgcloud.web.deps import (
    SESSION_COOKIE,
    TenantContext,
    check_csrf,
    client_ip,
    current_principal,
    get_db,
    require_permission,
    tenant_access,
    tenant_member,
)
from lgcloud.web.templating import render
from lgcloud.web.ui.audit_labels import action_label

router = APIRouter(include_in_schema=False)

ROLE_LABELS = {
    Role.OPERATOR: "運用者",
    Role.ADMIN: "管理者",
    Role.CLERK: "窓口職員",
    Role.SUPERVISOR: "支援措置責任者",
    Role.AUDITOR: "監査担当",
}


def home_url(principal: Principal) -> str:
    return "/operator/" if principal.is_operator else f"/m/{principal.lg_code}/"


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: an open redirect after login would help phishing."""
    if target and target.startswith("/") and not target.startswith("//") and not urlparse(target).netloc:
        return target
    return None


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> Response:
    principal = current_principal(request)
    return RedirectResponse(home_url(principal) if principal else "/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next) or "", "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    settings = request.app.state.settings
    db = get_db(request)
    with db.session(PLATFORM_CHAIN) as session:
        result = services.authenticate(
            session,
            username=username,
            password=password,
            max_failures=settings.login_max_failures,
            lockout=timedelta(seconds=settings.login_lockout_seconds),
            source_ip=client_ip(request),
        )
        token = None
        if not isinstance(result, LgcloudError):
            token, _ = services.open_session(session, result)
            principal = services.principal_of(result)
    if token is None:
        return render(
            request,
            "login.html",
            {"next": next, "error": result.message, "username": username},
            status_code=401,
        )
    response = RedirectResponse(_safe_next(next) or home_url(principal), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
        max_age=int(services.SESSION_LIFETIME.total_seconds()),
    )
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    if current_principal(request) is not None:
        check_csrf(request, csrf_token)
        with get_db(request).session() as session:
            services.close_session(session, request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/m/{lg_code}/", response_class=HTMLResponse)
def municipality_home(request: Request, ctx: Annotated[TenantContext, Depends(tenant_member)]) -> Response:
    with ctx.db.session() as session:
        municipality = services.get_municipality(session, ctx.lg_code)
        membership = services.current_membership(session, ctx.lg_code)
        group = session.get(services.CloudGroup, membership.group_id) if membership else None
    pool = None
    if Permission.RESIDENT_WRITE in ctx.principal.permissions:  # who enters 出生・国外転入 is told before it runs out
        with ctx.session() as session:
            pool = code_pool.status(session, ctx.lg_code)
    return render(
        request,
        "home.html",
        {
            "municipality": municipality,
            "group": group,
            "role_label": ROLE_LABELS.get(ctx.principal.role, ""),
            "Permission": Permission,
            "code_pool": pool,
            "code_pool_low_watermark": code_pool.LOW_WATERMARK,
        },
    )


@router.get("/m/{lg_code}/users", response_class=HTMLResponse)
def users_page(
    request: Request,
    ctx: Annotated[TenantContext, Depends(tenant_access(Permission.USERS_MANAGE))],
    error: str | None = None,
) -> Response:
    with ctx.db.session() as session:
        users = services.list_users(session, ctx.lg_code)
    roles = [r for r in Role if r is not Role.OPERATOR]
    return render(
        request,
        "users.html",
        {"users": users, "roles": roles, "role_labels": ROLE_LABELS, "error": error, "lg_code": ctx.lg_code},
    )


@router.post("/m/{lg_code}/users", response_class=HTMLResponse)
def users_add(
    request: Request,
    ctx: Annotated[TenantContext, Depends(tenant_access(Permission.USERS_MANAGE))],
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
    display_name: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    if role == Role.OPERATOR:
        return users_page(request, ctx, error="運用者はこの画面では作成できません")
    try:
        with ctx.session() as session:
            services.add_user(
                session,
                username=username,
                password=password,
                role=role,
                display_name=display_name,
                lg_code=ctx.lg_code,
                actor=ctx.principal.name,
            )
    except LgcloudError as exc:
        return users_page(request, ctx, error=exc.message)
    return RedirectResponse(f"/m/{ctx.lg_code}/users", status_code=303)


@router.post("/m/{lg_code}/users/{username}/active", response_class=HTMLResponse)
def users_set_active(
    request: Request,
    username: str,
    ctx: Annotated[TenantContext, Depends(tenant_access(Permission.USERS_MANAGE))],
    active: Annotated[bool, Form()],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        with ctx.session() as session:
            services.set_user_active(
                session, lg_code=ctx.lg_code, username=username, active=active, actor=ctx.principal.name
            )
    except LgcloudError as exc:
        return users_page(request, ctx, error=exc.message)
    return RedirectResponse(f"/m/{ctx.lg_code}/users", status_code=303)


@router.get("/m/{lg_code}/tokens", response_class=HTMLResponse)
def tokens_page(
    request: Request,
    ctx: Annotated[TenantContext, Depends(tenant_access(Permission.USERS_MANAGE))],
    error: str | None = None,
    new_token: str | None = None,
) -> Response:
    with ctx.session() as session:
        tokens = services.list_tokens(session, ctx.lg_code)
    return render(
        request,
        "tokens.html",
        {
            "tokens": tokens,
            "scopes": sorted(services.TOKEN_SCOPES),
            "error": error,
            "new_token": new_token,
            "lg_code": ctx.lg_code,
        },
    )


@router.post("/m/{lg_code}/tokens", response_class=HTMLResponse)
def tokens_create(
    request: Request,
    ctx: Annotated[TenantContext, Depends(tenant_access(Permission.USERS_MANAGE))],
    name: Annotated[str, Form()],
    scopes: Annotated[list[str], Form()],
    days: Annotated[int, Form()] = 365,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        with ctx.session() as session:
            text, _ = services.create_token(
                session, lg_code=ctx.lg_code, name=name, scopes=scopes, days=days, actor=ctx.principal.name
            )
    except LgcloudError as exc:
        return tokens_page(request, ctx, error=exc.message)
    # Shown once, in this response only; the database keeps a hash.
    return tokens_page(request, ctx, new_token=text)


@router.post("/m/{lg_code}/tokens/{token_id}/revoke", response_class=HTMLResponse)
def tokens_revoke(
    request: Request,
    token_id: str,
    ctx: Annotated[TenantContext, Depends(tenant_access(Permission.USERS_MANAGE))],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    with ctx.session() as session:
        services.revoke_token(session, lg_code=ctx.lg_code, token_id=token_id, actor=ctx.principal.name)
    return RedirectResponse(f"/m/{ctx.lg_code}/tokens", status_code=303)


@router.get("/m/{lg_code}/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    ctx: Annotated[TenantContext, Depends(tenant_access(Permission.AUDIT_READ))],
    verify: bool = False,
    before: int | None = None,
) -> Response:
    with ctx.session() as session:
        entries = audit.list_entries(session, ctx.lg_code, limit=100, before_seq=before)
        report = audit.verify_chain(session, ctx.lg_code) if verify else None
        ctx.audit(session, "audit.read", detail={"verify": verify})
    return render(request, "audit.html", {"entries": entries, "report": report, "lg_code": ctx.lg_code,
                                          "action_label": action_label})


@router.get("/operator/", response_class=HTMLResponse)
def operator_console(
    request: Request,
    principal: Annotated[Principal, Depends(require_permission(Permission.GROUP_OPERATE))],
    error: str | None = None,
    started: str | None = None,
) -> Response:
    from lgcloud.web.api.migration import member_jobs

    with get_db(request).session() as session:
        groups = services.list_groups(session)
        members = services.list_municipalities(session, principal.group_id)
    jobs = member_jobs(get_db(request), [m.lg_code for m, _ in members])
    context = {"groups": groups, "members": members, "error": error, "statuses": services.MUNICIPALITY_STATUSES,
               "jobs": jobs, "started": started}  # fmt: skip
    return render(request, "operator.html", context)


@router.post("/operator/migration/imports", response_class=HTMLResponse)
def operator_import_form(
    request: Request,
    principal: Annotated[Principal, Depends(require_permission(Permission.GROUP_OPERATE))],
    lg_code: Annotated[str, Form()],
    files: Annotated[list[UploadFile], File()],
    encoding: Annotated[str, Form()] = "",
    source_system: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """The operator starts a member's import; the console then shows its progress (counts only)."""
    from lgcloud.web.api.migration import operator_context, start_import

    check_csrf(request, csrf_token)
    try:
        ctx = operator_context(request, principal, lg_code)
        job = start_import(request, ctx, files, dialect=None, encoding=encoding, source_system=source_system)
    except LgcloudError as exc:
        return operator_console(request, principal, error=exc.message)
    return RedirectResponse(f"/operator/?started={job.job_id}", status_code=303)


@router.post("/operator/municipalities", response_class=HTMLResponse)
def operator_add_municipality(
    request: Request,
    principal: Annotated[Principal, Depends(require_permission(Permission.GROUP_OPERATE))],
    lg_code: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        with get_db(request).session(PLATFORM_CHAIN) as session:
            group = session.get(services.CloudGroup, principal.group_id)
            services.add_municipality(session, group_code=group.code, lg_code=lg_code.strip(), actor=principal.name)
    except LgcloudError as exc:
        return operator_console(request, principal, error=exc.message)
    return RedirectResponse("/operator/", status_code=303)


@router.post("/operator/municipalities/{code}/status", response_class=HTMLResponse)
def operator_set_status(
    request: Request,
    code: str,
    principal: Annotated[Principal, Depends(require_permission(Permission.GROUP_OPERATE))],
    status: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    with get_db(request).session(PLATFORM_CHAIN) as session:
        services.require_member(session, principal.group_id, code)
        services.set_municipality_status(session, lg_code=code, status=status, actor=principal.name)
    return RedirectResponse("/operator/", status_code=303)


@router.get("/m/{lg_code}/juminhyo-codes", response_class=HTMLResponse)
def code_pool_page(request: Request, ctx: Annotated[TenantContext, Depends(tenant_access(Permission.SETTINGS_MANAGE))]
                   ) -> Response:
    return _code_pool_page(request, ctx)


@router.post("/m/{lg_code}/juminhyo-codes", response_class=HTMLResponse)
def code_pool_upload(
    request: Request,
    ctx: Annotated[TenantContext, Depends(tenant_access(Permission.SETTINGS_MANAGE))],
    file: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        loaded = load_codes(ctx, file)
    except LgcloudError as exc:
        return _code_pool_page(request, ctx, error=exc.message, status_code=exc.status)
    return _code_pool_page(request, ctx, loaded=loaded)


def _code_pool_page(request: Request, ctx: TenantContext, *, loaded: Any = None, error: str | None = None,
                    status_code: int = 200) -> Response:
    pool = loaded.status if loaded is not None else pool_status(ctx)  # a load reports the pool it left
    return render(request, "code_pool.html", {"lg_code": ctx.lg_code, "pool": pool, "loaded": loaded,
                                              "error": error, "low_watermark": code_pool.LOW_WATERMARK},
                  status_code=status_code)
