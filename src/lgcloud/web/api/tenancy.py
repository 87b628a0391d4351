"""JSON API: the caller, cloud groups and municipalities (operator), users, tokens, audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field

from lgcloud.tenancy import audit, services
from lgcloud.tenancy.models import PLATFORM_CHAIN
from lgcloud.tenancy.permissions import Permission, Role
from lgcloud.tenancy.principal import Principal
from lgcloud.web.deps import TenantContext, get_db, require_login, require_permission, tenant_access

router = APIRouter(tags=["tenancy"])


class Me(BaseModel):
    name: str
    kind: str
    role: str | None
    lg_code: str | None
    permissions: list[str]


@router.get("/me", response_model=Me)
def me(principal: Annotated[Principal, Depends(require_login)]) -> Me:
    return Me(
        name=principal.name,
        kind=principal.kind,
        role=principal.role,
        lg_code=principal.lg_code,
        permissions=sorted(principal.permissions),
    )


class MunicipalityOut(BaseModel):
    lg_code: str
    name: str
    name_kana: str
    prefecture: str
    status: str
    group_code: str


class MunicipalityIn(BaseModel):
    lg_code: str = Field(pattern=r"^\d{6}$", description="全国地方公共団体コード（検査数字付き6桁）")


@router.get("/municipalities", response_model=list[MunicipalityOut])
def list_municipalities(
    request: Request, principal: Annotated[Principal, Depends(require_permission(Permission.GROUP_OPERATE))]
) -> list[MunicipalityOut]:
    with get_db(request).session() as session:
        rows = services.list_municipalities(session, principal.group_id)
        return [
            MunicipalityOut(
                lg_code=m.lg_code,
                name=m.name,
                name_kana=m.name_kana,
                prefecture=m.prefecture,
                status=m.status,
                group_code=g.code,
            )
            for m, g in rows
        ]


@router.post("/municipalities", response_model=MunicipalityOut, status_code=status.HTTP_201_CREATED)
def add_municipality(
    request: Request,
    body: MunicipalityIn,
    principal: Annotated[Principal, Depends(require_permission(Permission.GROUP_OPERATE))],
) -> MunicipalityOut:
    with get_db(request).session(PLATFORM_CHAIN) as session:
        group = session.get(services.CloudGroup, principal.group_id)
        m = services.add_municipality(session, group_code=group.code, lg_code=body.lg_code, actor=principal.name)
        return MunicipalityOut(
            lg_code=m.lg_code,
            name=m.name,
            name_kana=m.name_kana,
            prefecture=m.prefecture,
            status=m.status,
            group_code=group.code,
        )


class UserOut(BaseModel):
    username: str
    display_name: str
    role: str
    active: bool


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=10, max_length=200)
    role: Role
    display_name: str = ""


@router.get("/municipalities/{lg_code}/users", response_model=list[UserOut])
def list_users(
    ctx: Annotated[TenantContext, Depends(tenant_access(Permission.USERS_MANAGE))],
) -> list[UserOut]:
    with ctx.session() as session:
        return [
            UserOut(username=u.username, display_name=u.display_name, role=u.role, active=u.active)
            for u in services.list_users(session, ctx.lg_code)
        ]


@router.post("/municipalities/{lg_code}/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def add_user(body: UserIn, ctx: Annotated[TenantContext, Depends(tenant_access(Permission.USERS_MANAGE))]) -> UserOut:
    if body.role is Role.OPERATOR:
        from lgcloud.errors import PermissionDenied

        raise PermissionDenied("市区町村の管理者は運用者を作成できません", code="role-not-allowed")
    with ctx.session() as session:
        u = services.add_user(
            session,
            username=body.username,
            password=body.password,
            role=body.role,
            display_name=body.display_name,
            lg_code=ctx.lg_code,
            actor=ctx.principal.name,
        )
        return UserOut(username=u.username, display_name=u.display_name, role=u.role, active=u.active)


class UserPatch(BaseModel):
    active: bool


@router.patch("/municipalities/{lg_code}/users/{username}", response_model=UserOut)
def update_user(
    username: str, body: UserPatch, ctx: Annotated[TenantContext, Depends(tenant_access(Permission.USERS_MANAGE))]
) -> UserOut:
    with ctx.session() as session:
        u = services.set_user_active(
            session, lg_code=ctx.lg_code, username=username, active=body.active, actor=ctx.principal.name
        )
        return UserOut(username=u.username, display_name=u.display_name, role=u.role, active=u.active)


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(min_length=1)
    days: int = Field(default=365, ge=1, le=3650)


class TokenOut(BaseModel):
    token_id: str
    name: str
    scopes: list[str]
    expires_at: datetime
    revoked: bool
    token: str | None = Field(default=None, description="発行時に一度だけ返します")


@router.get("/municipalities/{lg_code}/tokens", response_model=list[TokenOut])
def list_tokens(
    ctx: Annotated[TenantContext, Depends(tenant_access(Permission.USERS_MANAGE))],
) -> list[TokenOut]:
    with ctx.session() as session:
        return [
            TokenOut(
                token_id=t.token_id,
                name=t.name,
                scopes=t.scopes,
                expires_at=t.expires_at,
                revoked=t.revoked_at is not None,
            )
            for t in services.list_tokens(session, ctx.lg_code)
        ]


@router.post("/municipalities/{lg_code}/tokens", response_model=TokenOut, status_code=status.HTTP_201_CREATED)
def create_token(
    body: TokenIn, ctx: Annotated[TenantContext, Depends(tenant_access(Permission.USERS_MANAGE))]
) -> TokenOut:
    with ctx.session() as session:
        text, t = services.create_token(
            session,
            lg_code=ctx.lg_code,
            name=body.name,
            scopes=body.scopes,
            days=body.days,
            actor=ctx.principal.name,
        )
        return TokenOut(
            token_id=t.token_id,
            name=t.name,
            scopes=t.scopes,
            expires_at=t.expires_at,
            revoked=False,
            token=text,
        )


@router.delete("/municipalities/{lg_code}/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: str, ctx: Annotated[TenantContext, Depends(tenant_access(Permission.USERS_MANAGE))]) -> None:
    with ctx.session() as session:
        services.revoke_token(session, lg_code=ctx.lg_code, token_id=token_id, actor=ctx.principal.name)


class AuditEntryOut(BaseModel):
    seq: int
    occurred_at: str
    actor: str
    source_ip: str | None
    action: str
    target: str | None
    outcome: str
    detail: str
    entry_hash: str


class ChainReportOut(BaseModel):
    lg_code: str
    entries: int
    ok: bool
    broken_seq: int | None
    reason: str | None


@router.get("/municipalities/{lg_code}/audit", response_model=list[AuditEntryOut])
def audit_entries(
    ctx: Annotated[TenantContext, Depends(tenant_access(Permission.AUDIT_READ))],
    limit: int = 100,
    before: int | None = None,
) -> list[AuditEntryOut]:
    with ctx.session() as session:
        entries = audit.list_entries(session, ctx.lg_code, limit=max(1, min(limit, 1000)), before_seq=before)
        result = [AuditEntryOut.model_validate(e, from_attributes=True) for e in entries]
        ctx.audit(session, "audit.read")
    return result


@router.get("/municipalities/{lg_code}/audit/verify", response_model=ChainReportOut)
def audit_verify(
    ctx: Annotated[TenantContext, Depends(tenant_access(Permission.AUDIT_READ))],
) -> ChainReportOut:
    with ctx.session() as session:
        report = audit.verify_chain(session, ctx.lg_code)
        ctx.audit(session, "audit.verify", outcome="ok" if report.ok else "broken")
    return ChainReportOut(**report.__dict__)
