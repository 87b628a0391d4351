"""Certificates API: preview, issue (交付), 交付履歴, PDF, 再交付, 処分, verification of a paper copy.

A certificate involving a 支援対象者 is refused (403 ``protection-refused`` with ``request_id``) until the
支援措置責任者 releases that request; repeat the call with ``release_id``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from lgcloud.certificates import services
from lgcloud.certificates.model import CertificateOptions, CertType, Overflow
from lgcloud.tenancy.permissions import Permission
from lgcloud.web.deps import TenantContext, tenant_access

router = APIRouter(tags=["certificates"])
Issuer = Annotated[TenantContext, Depends(tenant_access(Permission.CERTIFICATE_ISSUE))]
BASE = "/municipalities/{lg_code}/certificates"


class OptionsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    members: list[str] | None = None
    with_history: bool = False
    include_head_relation: bool = False
    include_honseki: bool = False
    include_juminhyo_code: bool = False
    include_mynumber: bool = False
    include_foreign_items: bool = False
    include_tsusho_history: bool = False
    include_kana: bool = False
    omit_katagaki: bool = False
    items: list[str] = Field(default_factory=list)
    overflow: Overflow = Overflow.TRUNCATE
    purpose: str = Field(default="", max_length=200)
    requester: str = Field(default="", max_length=200)

    def to_options(self) -> CertificateOptions:
        data = self.model_dump()
        data["members"] = tuple(self.members) if self.members is not None else None
        data["items"] = tuple(self.items)
        return CertificateOptions(**data)


class IssueBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: CertType
    atena_nos: list[str] = Field(default_factory=list, max_length=50)
    setai_no: str | None = None
    options: OptionsBody = Field(default_factory=OptionsBody)
    terminal: str = "本庁1"
    printer: str = "プリンタ001"
    place: str = Field(default="本庁舎 窓口", max_length=200)
    copies: int = 1
    release_id: int | None = None

    def to_request(self) -> services.IssueRequest:
        return services.IssueRequest(
            cert_type=self.type,
            atena_nos=tuple(self.atena_nos),
            setai_no=self.setai_no,
            options=self.options.to_options(),
            terminal=self.terminal,
            printer=self.printer,
            place=self.place,
            copies=self.copies,
            release_id=self.release_id,
        )


def staff_of(ctx: TenantContext) -> services.Staff:
    return services.Staff(ctx.principal.name, ctx.principal.can(Permission.MYNUMBER_READ), ctx.source_ip)


def secret_of(request: Request) -> str:
    return str(request.app.state.settings.secret_key)


@router.post(f"{BASE}/preview")
def preview(body: IssueBody, ctx: Issuer, format: str = "json") -> Any:
    with ctx.session() as session:
        result = services.preview(session, ctx.lg_code, body.to_request(), staff_of(ctx))
    result.disclosure.raise_if_refused()
    assert result.document is not None
    if format == "pdf":
        return Response(result.pdf, media_type="application/pdf")
    return {
        "pages": result.pages,
        "overflows": list(result.overflows),
        "alerts": list(result.disclosure.alerts),
        "document": result.document.to_json(),
    }


@router.post(BASE, status_code=201)
def issue(body: IssueBody, ctx: Issuer, request: Request) -> dict[str, Any]:
    with ctx.session() as session:
        outcome = services.issue(session, ctx.lg_code, body.to_request(), staff_of(ctx), secret=secret_of(request))
    outcome.disclosure.raise_if_refused()
    return {
        "issued": [c.summary() for c in outcome.issued],
        "overflows": list(outcome.overflows),
        "alerts": list(outcome.disclosure.alerts),
    }


@router.get(BASE)
def history(ctx: Issuer, atena_no: str | None = None, limit: int = 100) -> dict[str, Any]:
    with ctx.session() as session:
        found = services.list_issues(session, ctx.lg_code, atena_no=atena_no, limit=max(1, min(limit, 500)))
        ctx.audit(session, "certificate:history", target=atena_no, detail={"count": len(found)})
    return {"issues": [c.summary() for c in found]}


@router.get(BASE + "/{issue_id}")
def show(issue_id: int, ctx: Issuer) -> dict[str, Any]:
    with ctx.session() as session:
        record = services.get_issue(session, ctx.lg_code, issue_id)
        ctx.audit(session, "certificate:history", target=str(issue_id))
    return record.summary()


@router.get(BASE + "/{issue_id}/pdf")
def pdf(issue_id: int, ctx: Issuer, release_id: int | None = None) -> Response:
    with ctx.session() as session:
        result = services.download(session, ctx.lg_code, issue_id, staff_of(ctx), release_id=release_id)
    result.disclosure.raise_if_refused()
    headers = {"Content-Disposition": f'inline; filename="certificate-{issue_id}.pdf"'}
    return Response(result.pdf, media_type="application/pdf", headers=headers)


class ReissueBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    terminal: str = "本庁1"
    printer: str = "プリンタ001"
    place: str = Field(default="本庁舎 窓口", max_length=200)
    release_id: int | None = None


@router.post(BASE + "/{issue_id}/reissue", status_code=201)
def reissue(issue_id: int, body: ReissueBody, ctx: Issuer, request: Request) -> dict[str, Any]:
    with ctx.session() as session:
        outcome = services.reissue(
            session, ctx.lg_code, issue_id, staff_of(ctx), secret=secret_of(request), **body.model_dump()
        )
    outcome.disclosure.raise_if_refused()
    return {"issued": [c.summary() for c in outcome.issued]}


class DisposalBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


@router.post(BASE + "/{issue_id}/disposal")
def dispose(issue_id: int, body: DisposalBody, ctx: Issuer) -> dict[str, Any]:
    with ctx.session() as session:
        record = services.dispose(session, ctx.lg_code, issue_id, staff_of(ctx), body.reason)
    return record.summary()


class VerifyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=200)


@router.post(f"{BASE}/verify")
def verify(body: VerifyBody, ctx: Issuer, request: Request) -> dict[str, Any]:
    with ctx.session() as session:
        result = services.verify(session, ctx.lg_code, body.code, staff_of(ctx), secret=secret_of(request))
    return {
        "valid": result.valid,
        "message": result.message,
        "certificate": result.record.summary() if result.record else None,
        "names": list(result.names),
    }
