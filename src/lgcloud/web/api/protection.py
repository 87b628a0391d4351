"""抑止 / 支援措置 API (支援措置責任者): suppressions, 支援措置, disclosure reviews, alerts, a person's state."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from lgcloud.protection import domain, services
from lgcloud.protection import repository as repo
from lgcloud.protection.domain import Affair, Level, Process, Scope
from lgcloud.protection.services import Actor, ProtectionState
from lgcloud.residents.services import today_jst
from lgcloud.tenancy.permissions import Permission
from lgcloud.web.deps import TenantContext, tenant_access

router = APIRouter(tags=["protection"])
BASE = "/municipalities/{lg_code}/protection"
Setter = Annotated[TenantContext, Depends(tenant_access(Permission.PROTECTION_SET))]
Releaser = Annotated[TenantContext, Depends(tenant_access(Permission.PROTECTION_RELEASE))]
Reviewer = Annotated[TenantContext, Depends(tenant_access(Permission.PROTECTION_TEMP_RELEASE))]
Reader = Annotated[TenantContext, Depends(tenant_access(Permission.RESIDENT_READ))]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def actor_of(ctx: TenantContext) -> Actor:
    return Actor(ctx.principal.name, ctx.source_ip)


def state_json(state: ProtectionState) -> dict[str, Any]:
    return {
        "atena_no": state.atena_no,
        "protected": state.protected,
        "support_target": state.support_target,
        "levels": {p.value: lv.value for p, lv in state.levels.items()},
        "linkage": state.linkage_flags(),
        "temporarily_released": state.temporarily_released,
        "label": state.label,
        "alerts": list(state.alerts),
    }


@router.get(BASE + "/persons/{atena_no}")
def person_state(atena_no: str, ctx: Reader) -> dict[str, Any]:
    with ctx.session() as session:
        state = services.is_protected(session, ctx.lg_code, atena_no)
    return state_json(state)


# --- 抑止 ------------------------------------------------------------------------------------------


class SuppressionBody(_Body):
    scope: Scope = Scope.PERSON
    target: str = Field(min_length=1, max_length=20)
    process: Process
    level: Level = Level.ERROR
    start_on: date
    end_on: date | None = None
    reason: str = Field(default="", max_length=500)


def suppression_json(s: domain.Suppression) -> dict[str, Any]:
    return {
        "suppression_id": s.suppression_id,
        "scope": s.scope.value,
        "target": s.target,
        "process": s.process.value,
        "level": s.level.value,
        "start_on": s.start_on.isoformat(),
        "end_on": s.end_on.isoformat() if s.end_on else None,
        "reason": s.reason,
        "support_id": s.support_id,
        "released_at": s.released_at.isoformat() if s.released_at else None,
    }


@router.get(BASE + "/suppressions")
def list_suppressions(ctx: Setter) -> dict[str, Any]:
    with ctx.session() as session:
        found = repo.load_suppressions(session, ctx.lg_code)
    return {"suppressions": [suppression_json(s) for s in found]}


@router.post(BASE + "/suppressions", status_code=201)
def add_suppression(body: SuppressionBody, ctx: Setter) -> dict[str, Any]:
    with ctx.session() as session:
        created = services.set_suppression(session, ctx.lg_code, actor_of(ctx), **body.model_dump())
    return suppression_json(created)


class ReasonBody(_Body):
    reason: str = Field(min_length=1, max_length=500)


@router.post(BASE + "/suppressions/{suppression_id}/release")
def release_suppression(suppression_id: int, body: ReasonBody, ctx: Releaser) -> dict[str, Any]:
    with ctx.session() as session:
        services.release_suppression(session, ctx.lg_code, actor_of(ctx), suppression_id, body.reason)
        return suppression_json(services.get_suppression(session, ctx.lg_code, suppression_id))


class TempReleaseBody(ReasonBody):
    minutes: int = services.DEFAULT_TEMP_RELEASE_MINUTES


@router.post(BASE + "/suppressions/{suppression_id}/temporary-release")
def temp_release(suppression_id: int, body: TempReleaseBody, ctx: Reviewer) -> dict[str, Any]:
    with ctx.session() as session:
        temp = services.temporarily_release(
            session, ctx.lg_code, actor_of(ctx), suppression_id, body.reason, minutes=body.minutes
        )
    return {"suppression_id": suppression_id, "expires_at": temp.expires_at.isoformat()}


# --- 支援措置 --------------------------------------------------------------------------------------


class PartyBody(_Body):
    name: str = Field(min_length=1, max_length=200)
    name_kana: str = ""
    tsusho: str = ""
    tsusho_kana: str = ""
    atena_no: str | None = None
    birth_date: str = ""
    sex: str = ""
    address: str = ""
    prev_addresses: list[str] = Field(default_factory=list)
    honseki: str = ""
    prev_honseki: list[str] = Field(default_factory=list)
    contact: str = ""
    relation: str = ""

    def to_party(self) -> domain.Party:
        data = self.model_dump()
        return domain.Party(
            **{**data, "prev_addresses": tuple(self.prev_addresses), "prev_honseki": tuple(self.prev_honseki)}
        )


class PerpetratorBody(_Body):
    name: str = Field(min_length=1, max_length=200)
    atena_no: str | None = None
    birth_date: str = ""
    sex: str = ""
    address: str = ""
    other: str = ""


class MeasureBody(_Body):
    applicant: PartyBody
    received_on: date
    companions: list[PartyBody] = Field(default_factory=list)
    perpetrators: list[PerpetratorBody] = Field(default_factory=list)
    affairs: list[Affair] = Field(default_factory=lambda: list(Affair))
    original_municipality: str = ""

    def to_measure(self) -> domain.SupportMeasure:
        return domain.apply(
            self.applicant.to_party(),
            self.received_on,
            companions=tuple(c.to_party() for c in self.companions),
            perpetrators=tuple(domain.Perpetrator(**p.model_dump()) for p in self.perpetrators),
            affairs=tuple(self.affairs),
            original_municipality=self.original_municipality,
        )


def measure_json(measure: domain.SupportMeasure, today: date) -> dict[str, Any]:
    return {
        **repo.measure_to_json(measure),
        "subjects": list(measure.subjects),
        "suppressed_addresses": list(measure.suppressed_addresses),
        "alerts": [a.message for a in domain.measure_alerts(measure, today)],
    }


@router.get(BASE + "/support-measures")
def list_measures(ctx: Setter) -> dict[str, Any]:
    today = today_jst()
    with ctx.session() as session:
        found = services.list_measures(session, ctx.lg_code)
        ctx.audit(session, "protection:support:list", detail={"count": len(found)})
    return {"support_measures": [measure_json(m, today) for m in found]}


@router.post(BASE + "/support-measures", status_code=201)
def register(body: MeasureBody, ctx: Setter) -> dict[str, Any]:
    today = today_jst()
    with ctx.session() as session:
        measure = services.register_measure(session, ctx.lg_code, actor_of(ctx), body.to_measure(), today=today)
    return measure_json(measure, today)


@router.get(BASE + "/support-measures/{support_id}")
def show_measure(support_id: int, ctx: Setter) -> dict[str, Any]:
    with ctx.session() as session:
        measure = services.get_measure(session, ctx.lg_code, support_id)
        ctx.audit(session, "protection:support:read", target=f"support:{support_id}")
    return measure_json(measure, today_jst())


class DecisionBody(_Body):
    start_on: date


@router.post(BASE + "/support-measures/{support_id}/decision")
def decide(support_id: int, body: DecisionBody, ctx: Setter) -> dict[str, Any]:
    with ctx.session() as session:
        measure = services.decide_measure(session, ctx.lg_code, actor_of(ctx), support_id, body.start_on)
    return measure_json(measure, today_jst())


@router.post(BASE + "/support-measures/{support_id}/extension")
def extend(support_id: int, ctx: Setter) -> dict[str, Any]:
    today = today_jst()
    with ctx.session() as session:
        measure = services.extend_measure(session, ctx.lg_code, actor_of(ctx), support_id, today)
    return measure_json(measure, today)


class EndBody(ReasonBody):
    ended_on: date | None = None


@router.post(BASE + "/support-measures/{support_id}/end")
def end(support_id: int, body: EndBody, ctx: Setter) -> dict[str, Any]:
    today = today_jst()
    with ctx.session() as session:
        measure = services.end_measure(
            session, ctx.lg_code, actor_of(ctx), support_id, body.ended_on or today, body.reason
        )
    return measure_json(measure, today)


class TransferBody(_Body):
    to_municipality: str = Field(min_length=1, max_length=100)
    transferred_on: date
    received_on: date | None = None
    contacted_on: date | None = None


@router.post(BASE + "/support-measures/{support_id}/transfer")
def transfer(support_id: int, body: TransferBody, ctx: Setter) -> dict[str, Any]:
    with ctx.session() as session:
        measure = services.transfer_measure(
            session, ctx.lg_code, actor_of(ctx), support_id, domain.Transfer(**body.model_dump())
        )
    return measure_json(measure, today_jst())


@router.get(BASE + "/support-measures/{support_id}/end-notice")
def end_notice(support_id: int, ctx: Setter, format: str = "json") -> Any:
    """支援措置期間終了通知: JSON lines, or ``?format=pdf`` printed in the certificate font with the 公印."""
    from lgcloud.certificates.render import render_letter
    from lgcloud.codes.eras import to_wareki
    from lgcloud.tenancy.services import get_municipality

    today = today_jst()
    with ctx.session() as session:
        measure = services.get_measure(session, ctx.lg_code, support_id)
        municipality = get_municipality(session, ctx.lg_code)
        issuer = f"{municipality.prefecture}{municipality.name}長"
        notice = domain.end_notice(measure, today, issuer)
        ctx.audit(session, "protection:support:end-notice", target=f"support:{support_id}", detail={"format": format})
    if format == "pdf":
        pdf = render_letter(
            "支援措置期間終了通知",
            notice.lines[0],
            list(notice.lines[1:-1]),
            issuer=issuer,
            municipality=municipality.name,
            date_text=to_wareki(today),
            footer=f"支援措置 {support_id} 終了通知",
        )
        return Response(pdf, media_type="application/pdf")
    return {"support_id": support_id, "issued_on": today.isoformat(), "lines": list(notice.lines)}


@router.get(BASE + "/alerts")
def alerts(ctx: Setter) -> dict[str, Any]:
    with ctx.session() as session:
        found = services.alerts(session, ctx.lg_code, today_jst())
    return {
        "alerts": [
            {"kind": a.kind.value, "message": a.message, "support_id": a.support_id, "suppression_id": a.suppression_id}
            for a in found
        ]
    }


# --- disclosure reviews ---------------------------------------------------------------------------


def request_json(r: services.DisclosureRequest) -> dict[str, Any]:
    return {
        "request_id": r.request_id,
        "process": r.process,
        "persons": r.persons,
        "purpose": r.purpose,
        "requested_by": r.requested_by,
        "requested_at": r.requested_at.isoformat(),
        "status": r.status,
        "reviewed_by": r.reviewed_by,
        "review_reason": r.review_reason,
        "expires_at": r.expires_at.isoformat() if r.expires_at else None,
    }


@router.get(BASE + "/disclosure-requests")
def list_requests(ctx: Reviewer, status: str | None = None) -> dict[str, Any]:
    with ctx.session() as session:
        found = services.list_requests(session, ctx.lg_code, status)
    return {"requests": [request_json(r) for r in found]}


@router.post(BASE + "/disclosure-requests/{request_id}/release")
def release_request(request_id: int, body: ReasonBody, ctx: Reviewer) -> dict[str, Any]:
    with ctx.session() as session:
        result = services.review_request(
            session, ctx.lg_code, actor_of(ctx), request_id, release=True, reason=body.reason
        )
    return request_json(result)


@router.post(BASE + "/disclosure-requests/{request_id}/reject")
def reject_request(request_id: int, body: ReasonBody, ctx: Reviewer) -> dict[str, Any]:
    with ctx.session() as session:
        result = services.review_request(
            session, ctx.lg_code, actor_of(ctx), request_id, release=False, reason=body.reason
        )
    return request_json(result)
