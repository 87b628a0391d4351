"""Who is asking and may they: FastAPI dependencies shared by every route.

- API routes for a municipality's data: ``ctx: TenantContext = Depends(tenant_access(Permission.X))``
  on a path containing ``{lg_code}``. Only that municipality's own staff or tokens holding the
  permission pass; everyone else gets 403 (wrong permission) or 404 (another municipality), and the
  refusal is audited. The attack-matrix test enumerates such routes.
- Other routes: ``principal: Principal = Depends(require_permission(Permission.X))``.
- UI pages use the same dependencies; an anonymous browser is redirected to /login.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from lgcloud.db import Database
from lgcloud.errors import LgcloudError, NotFound, PermissionDenied
from lgcloud.tenancy import services
from lgcloud.tenancy.audit import record_audit
from lgcloud.tenancy.models import PLATFORM_CHAIN
from lgcloud.tenancy.permissions import Permission
from lgcloud.tenancy.principal import Principal

SESSION_COOKIE = "lgcloud_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(LgcloudError):
    status = 401
    code = "login-required"


def get_db(request: Request) -> Database:
    return request.app.state.database  # type: ignore[no-any-return]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _principal_from_token(request: Request, db: Database, text: str) -> Principal:
    parts = services.parse_token(text)
    if parts is None:
        raise LoginRequired("APIトークンの形式が正しくありません", code="token-invalid")
    lg_code, token_id, secret = parts
    with db.session(lg_code) as session:
        record = services.resolve_token(session, lg_code, token_id, secret)
        if record is not None:
            services.note_token_use(session, record, path=request.url.path, source_ip=client_ip(request))
    if record is None:
        _audit_anonymous(db, request, lg_code, f"token:{token_id}", "token.use", "denied")
        raise LoginRequired("APIトークンが無効です (期限切れ・失効・不一致)", code="token-invalid")
    return Principal(
        kind="token",
        name=f"token:{token_id}",
        role=None,
        lg_code=lg_code,
        permissions=frozenset(Permission(s) for s in record.scopes),
    )


def _audit_anonymous(db: Database, request: Request, lg_code: str, actor: str, action: str, outcome: str) -> None:
    """Record a refused credential in the chain of the municipality it claimed, if that exists."""
    with db.session(PLATFORM_CHAIN) as session:
        exists = session.get(services.Municipality, lg_code) is not None
    chain = lg_code if exists else PLATFORM_CHAIN
    with db.session(chain) as session:
        record_audit(
            session,
            lg_code=chain,
            actor=actor,
            action=action,
            outcome=outcome,
            target=request.url.path,
            source_ip=client_ip(request),
        )


def _principal_from_cookie(request: Request, db: Database, token: str) -> Principal | None:
    with db.session() as session:
        found = services.resolve_session(session, token)
        if found is None:
            return None
        user, web_session = found
        request.state.csrf_token = web_session.csrf_token
        return services.principal_of(user)


def current_principal(request: Request) -> Principal | None:
    """The caller, from a bearer token or the session cookie; cached on the request."""
    if hasattr(request.state, "principal"):
        return request.state.principal  # type: ignore[no-any-return]
    db = get_db(request)
    principal: Principal | None = None
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        principal = _principal_from_token(request, db, authorization[7:].strip())
        request.state.auth_kind = "token"
    elif token := request.cookies.get(SESSION_COOKIE):
        principal = _principal_from_cookie(request, db, token)
        request.state.auth_kind = "cookie"
    request.state.principal = principal
    return principal


def check_csrf(request: Request, form_token: str | None = None) -> None:
    """Cookie-authenticated writes must echo the session's CSRF token (form field or header)."""
    if request.method in SAFE_METHODS or getattr(request.state, "auth_kind", None) != "cookie":
        return
    expected = getattr(request.state, "csrf_token", "")
    given = form_token or request.headers.get(CSRF_HEADER, "")
    if not expected or not secrets.compare_digest(expected, given):
        raise PermissionDenied("CSRFトークンが一致しません。画面を再読み込みしてください。", code="csrf")


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def _submitted_csrf_token(request: Request) -> str:
    """The token from the header (htmx, API clients) or, for a plain HTML form, its hidden field."""
    if header := request.headers.get(CSRF_HEADER):
        return header
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()  # Starlette caches it: the route's Form() parameters still work
        return str(form.get("csrf_token") or "")
    return ""


async def require_login(request: Request) -> Principal:
    """The signed-in caller; cookie-authenticated writes must also carry the session's CSRF token.

    Async so that a plain form POST can be checked from its body; the database work runs in the
    thread pool like any sync endpoint.
    """
    principal = await run_in_threadpool(current_principal, request)
    if principal is None:
        raise LoginRequired("ログインしてください")
    if request.method not in SAFE_METHODS and getattr(request.state, "auth_kind", None) == "cookie":
        check_csrf(request, await _submitted_csrf_token(request))
    return principal


def _refuse(
    request: Request,
    principal: Principal,
    permission: Permission | None,
    lg_code: str | None,
    error: LgcloudError,
) -> LgcloudError:
    db = get_db(request)
    with db.session(principal.audit_chain) as session:
        record_audit(
            session,
            lg_code=principal.audit_chain,
            actor=principal.name,
            action="permission.denied",
            target=request.url.path,
            outcome="denied",
            source_ip=client_ip(request),
            detail={"permission": permission and permission.value, "lg_code": lg_code},
        )
    return error


def require_permission(permission: Permission) -> Callable[[Request], Awaitable[Principal]]:
    async def dependency(request: Request) -> Principal:
        principal = await require_login(request)
        if not principal.can(permission):
            error = PermissionDenied("この操作を行う権限がありません")
            raise await run_in_threadpool(_refuse, request, principal, permission, None, error)
        return principal

    dependency.lgcloud_permission = permission  # type: ignore[attr-defined]
    return dependency


@dataclass
class TenantContext:
    """A request acting on one municipality's data, already authorised."""

    lg_code: str
    principal: Principal
    db: Database
    source_ip: str | None

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.db.session(self.lg_code) as session:
            yield session

    def audit(
        self,
        session: Session,
        action: str,
        *,
        target: str | None = None,
        outcome: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> None:
        record_audit(
            session,
            lg_code=self.lg_code,
            actor=self.principal.name,
            action=action,
            target=target,
            outcome=outcome,
            detail=detail,
            source_ip=self.source_ip,
        )


def tenant_access(permission: Permission | None) -> Callable[[Request, str], Awaitable[TenantContext]]:
    """``permission=None``: any staff member or token of the municipality (e.g. its home page)."""

    async def dependency(request: Request, lg_code: str) -> TenantContext:
        principal = await require_login(request)
        error: LgcloudError | None = None
        if principal.lg_code != lg_code:
            # Another municipality's data: do not even confirm that it exists.
            error = NotFound("指定された市区町村のデータは見つかりません", code="tenant-not-found")
        elif permission is not None and not principal.can(permission):
            error = PermissionDenied("この操作を行う権限がありません")
        if error is not None:
            raise await run_in_threadpool(_refuse, request, principal, permission, lg_code, error)
        return TenantContext(lg_code=lg_code, principal=principal, db=get_db(request), source_ip=client_ip(request))

    # Marks the route for the tenant attack matrix (tests enumerate it).
    dependency.lgcloud_tenant_permission = permission  # type: ignore[attr-defined]
    return dependency


tenant_member = tenant_access(None)
