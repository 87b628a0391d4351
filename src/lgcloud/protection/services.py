"""抑止 / 支援措置 services: set, release, temporarily release, 支援措置 steps, state and disclosure checks.

Call inside ``database.session(lg_code)``. Every change appends rows (nothing is updated except a
disclosure request's status) and writes an audit entry in the same transaction.

The gate other packages call:

- :func:`is_protected` / :func:`protection_states` → :class:`ProtectionState` (search results show it;
  linkage sends ``state.linkage_flags()``, which ignores temporary releases).
- :func:`check_disclosure` before issuing a certificate or showing an address. It never raises for a
  refusal: the refusal, the review request it opens and the audit entry must be *committed*, so it
  returns a :class:`Disclosure`; call ``disclosure.raise_if_refused()`` after the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from lgcloud.db.base import utcnow
from lgcloud.errors import LgcloudError, NotFound, PermissionDenied
from lgcloud.protection import domain
from lgcloud.protection import repository as repo
from lgcloud.protection.domain import Level, Process, ProtectionError, Scope, SupportMeasure, Suppression
from lgcloud.protection.models import disclosure_requests
from lgcloud.tenancy.audit import record_audit

#: 一時解除 lasts this long unless the caller sets another time (configurable per call, bounded).
DEFAULT_TEMP_RELEASE_MINUTES = 30
MAX_TEMP_RELEASE_MINUTES = 8 * 60
#: A reviewed release of one disclosure request is usable once, within this time.
DEFAULT_RELEASE_VALID_MINUTES = 24 * 60


@dataclass(frozen=True)
class Actor:
    user: str
    source_ip: str | None = None


def _audit(session: Session, lg_code: str, actor: Actor, action: str, target: str, **detail: Any) -> None:
    outcome = detail.pop("outcome", "ok")
    record_audit(
        session,
        lg_code=lg_code,
        actor=actor.user,
        action=action,
        target=target,
        outcome=outcome,
        detail=detail,
        source_ip=actor.source_ip,
    )


def _publish(session: Session, lg_code: str, kind: str, subjects: Iterable[str], payload: dict[str, Any]) -> None:
    """Tell other systems (linkage outbox, same transaction). Never an address; never a 一時解除."""
    try:
        from lgcloud.linkage.catalogue import ProtectionEventType
        from lgcloud.linkage.outbox import publish
    except ImportError:  # linkage not installed: nothing to tell
        return
    event_type = getattr(ProtectionEventType, kind)
    for subject in dict.fromkeys(subjects):
        publish(session, lg_code, event_type, subject, payload)


def _suppression_payload(s: Suppression) -> dict[str, Any]:
    return {
        "抑止番号": s.suppression_id,
        "単位": s.scope.value,
        "対象": s.target,
        "処理": s.process.value,
        "レベル": s.level.value,
        "開始日": s.start_on.isoformat(),
        "終了日": s.end_on.isoformat() if s.end_on else None,
    }


def _measure_payload(m: SupportMeasure, step: str) -> dict[str, Any]:
    return {
        "支援措置番号": m.support_id,
        "手続": step,
        "状態": m.status.value,
        "開始日": (m.start_on or (m.provisional.start_on if m.provisional else None) or m.received_on).isoformat(),
        "終了日": m.end_on.isoformat() if m.end_on else None,
        "終了日（実際）": m.ended_on.isoformat() if m.ended_on else None,
    }


# --- 抑止 ------------------------------------------------------------------------------------------


def set_suppression(
    session: Session,
    lg_code: str,
    actor: Actor,
    *,
    scope: Scope,
    target: str,
    process: Process,
    level: Level,
    start_on: date,
    end_on: date | None = None,
    reason: str = "",
    support_id: int | None = None,
) -> Suppression:
    if not target.strip():
        raise ProtectionError("抑止の対象（宛名番号または世帯番号）を入力してください", code="protection-no-target")
    suppression = Suppression(
        suppression_id=repo.next_value(session, lg_code, "suppression"),
        scope=scope,
        target=target.strip(),
        process=process,
        level=level,
        start_on=start_on,
        end_on=end_on,
        reason=reason.strip(),
        support_id=support_id,
    )
    now = utcnow()
    repo.insert_suppression(session, lg_code, suppression, actor.user, now)
    repo.add_event(session, lg_code, "suppression.set", actor.user, now, suppression_id=suppression.suppression_id)
    _publish(session, lg_code, "YOKUSHI_SETTEI", [suppression.target], _suppression_payload(suppression))
    _audit(
        session,
        lg_code,
        actor,
        "protection:suppression:set",
        target,
        suppression_id=suppression.suppression_id,
        process=process.value,
        level=level.value,
        scope=scope.value,
    )
    return suppression


def get_suppression(session: Session, lg_code: str, suppression_id: int) -> Suppression:
    found = [s for s in repo.load_suppressions(session, lg_code) if s.suppression_id == suppression_id]
    if not found:
        raise NotFound(f"抑止 {suppression_id} は見つかりません", code="protection-suppression-not-found")
    return found[0]


def release_suppression(session: Session, lg_code: str, actor: Actor, suppression_id: int, reason: str) -> None:
    """解除 (real release): propagated to other systems like the setting was."""
    suppression = get_suppression(session, lg_code, suppression_id)
    if suppression.released_at is not None:
        raise ProtectionError("この抑止は既に解除されています", code="protection-already-released")
    _require_reason(reason)
    repo.add_event(
        session, lg_code, repo.RELEASE, actor.user, utcnow(), suppression_id=suppression_id, reason=reason.strip()
    )
    _publish(session, lg_code, "YOKUSHI_KAIJO", [suppression.target], _suppression_payload(suppression))
    _audit(
        session,
        lg_code,
        actor,
        "protection:suppression:release",
        suppression.target,
        suppression_id=suppression_id,
        reason=reason.strip(),
    )


def temporarily_release(
    session: Session,
    lg_code: str,
    actor: Actor,
    suppression_id: int,
    reason: str,
    *,
    minutes: int = DEFAULT_TEMP_RELEASE_MINUTES,
    now: datetime | None = None,
) -> domain.TemporaryRelease:
    """一時解除: lapses by itself after ``minutes``; never told to other systems."""
    suppression = get_suppression(session, lg_code, suppression_id)
    if suppression.released_at is not None:
        raise ProtectionError("この抑止は既に解除されています", code="protection-already-released")
    if not 1 <= minutes <= MAX_TEMP_RELEASE_MINUTES:
        raise ProtectionError(
            f"一時解除の時間は1〜{MAX_TEMP_RELEASE_MINUTES}分で指定してください", code="protection-bad-minutes"
        )
    _require_reason(reason)
    at = now or utcnow()
    expires = at + timedelta(minutes=minutes)
    repo.add_event(
        session,
        lg_code,
        repo.TEMP_RELEASE,
        actor.user,
        at,
        suppression_id=suppression_id,
        expires_at=expires,
        reason=reason.strip(),
    )
    _audit(
        session,
        lg_code,
        actor,
        "protection:suppression:temp-release",
        suppression.target,
        suppression_id=suppression_id,
        until=expires.isoformat(),
        reason=reason.strip(),
    )
    return domain.TemporaryRelease(suppression_id, at, expires, actor.user, reason.strip())


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise ProtectionError("理由を入力してください", code="protection-no-reason")


# --- 支援措置 --------------------------------------------------------------------------------------


#: 支援措置 steps told to other systems (a 転送 is told by the new municipality's own 仮支援措置).
_PUBLISHED_STEPS = {"register": "仮支援措置の開始", "decide": "支援措置の決定", "extend": "延長", "end": "終了"}


def register_measure(
    session: Session, lg_code: str, actor: Actor, measure: SupportMeasure, *, today: date
) -> SupportMeasure:
    """申出の受付: a 仮支援措置 from the 申出 until the decision (§2.10)."""
    if measure.received_on > today:
        raise ProtectionError("受付日に未来の日付は指定できません", code="protection-future-date")
    measure = measure.replace(support_id=repo.next_value(session, lg_code, "support"))
    return _save(session, lg_code, actor, measure, "register")


def _save(
    session: Session, lg_code: str, actor: Actor, measure: SupportMeasure, step: str, **detail: Any
) -> SupportMeasure:
    now = utcnow()
    revision = repo.append_revision(session, lg_code, measure, actor.user, now)
    if step in _PUBLISHED_STEPS:
        kind = "SHIEN_SHURYO" if step == "end" else "SHIEN_KAISHI"
        _publish(session, lg_code, kind, measure.subjects, _measure_payload(measure, _PUBLISHED_STEPS[step]))
    repo.add_event(
        session,
        lg_code,
        f"support.{step}",
        actor.user,
        now,
        support_id=measure.support_id,
        detail={"revision": revision, **detail},
    )
    _audit(
        session,
        lg_code,
        actor,
        f"protection:support:{step}",
        f"support:{measure.support_id}",
        revision=revision,
        status=measure.status.value,
        subjects=list(measure.subjects),
        **detail,
    )
    return measure


def get_measure(session: Session, lg_code: str, support_id: int) -> SupportMeasure:
    found = repo.load_measures(session, lg_code, [support_id])
    if not found:
        raise NotFound(f"支援措置 {support_id} は見つかりません", code="protection-support-not-found")
    return found[0]


def list_measures(session: Session, lg_code: str) -> list[SupportMeasure]:
    return repo.load_measures(session, lg_code)


def decide_measure(session: Session, lg_code: str, actor: Actor, support_id: int, start_on: date) -> SupportMeasure:
    measure = domain.decide(get_measure(session, lg_code, support_id), start_on)
    return _save(session, lg_code, actor, measure, "decide", start_on=start_on.isoformat())


def extend_measure(session: Session, lg_code: str, actor: Actor, support_id: int, today: date) -> SupportMeasure:
    measure = domain.extend(get_measure(session, lg_code, support_id), today)
    return _save(session, lg_code, actor, measure, "extend", end_on=str(measure.end_on))


def end_measure(
    session: Session, lg_code: str, actor: Actor, support_id: int, ended_on: date, reason: str
) -> SupportMeasure:
    measure = domain.end(get_measure(session, lg_code, support_id), ended_on, reason)
    return _save(session, lg_code, actor, measure, "end", reason=measure.end_reason)


def transfer_measure(
    session: Session, lg_code: str, actor: Actor, support_id: int, record: domain.Transfer
) -> SupportMeasure:
    measure = domain.transfer(get_measure(session, lg_code, support_id), record)
    return _save(session, lg_code, actor, measure, "transfer", to=record.to_municipality)


def alerts(session: Session, lg_code: str, today: date) -> list[domain.Alert]:
    """Alerts for the 支援措置責任者: periods in their last month or expired, suppressions past their end."""
    found: list[domain.Alert] = []
    for measure in list_measures(session, lg_code):
        found.extend(domain.measure_alerts(measure, today))
    found.extend(domain.suppression_alerts(repo.load_suppressions(session, lg_code), today))
    return found


# --- state ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProtectionState:
    """What lgcloud knows about one person's protection right now."""

    atena_no: str
    support_ids: tuple[int, ...] = ()
    levels: dict[Process, Level] = field(default_factory=dict)  # in force now (一時解除 counted)
    linkage_levels: dict[Process, Level] = field(default_factory=dict)  # told to other systems
    temporarily_released: bool = False
    alerts: tuple[str, ...] = ()
    #: shares a 世帯 (so an address) with a 支援対象者 without being one: disclosures are refused too
    household_target: bool = False

    @property
    def support_target(self) -> bool:
        return bool(self.support_ids)

    @property
    def protected(self) -> bool:
        return self.support_target or self.household_target or bool(self.linkage_levels)

    @property
    def label(self) -> str:
        """Short text for search results (§2.10: search results show the 抑止 state)."""
        parts = ["支援対象者"] if self.support_target else []
        parts += ["同一世帯に支援対象者"] if self.household_target else []
        parts += [f"抑止（{p}・{lv}）" for p, lv in sorted(self.linkage_levels.items())]
        if self.temporarily_released:
            parts.append("一時解除中")
        return " ".join(parts)

    def linkage_flags(self) -> dict[str, Any]:
        """For events and files to other systems: a 一時解除 is never sent as a release."""
        return {
            "support_target": self.support_target,
            "suppressions": {p.value: lv.value for p, lv in sorted(self.linkage_levels.items())},
        }


def protection_states(
    session: Session,
    lg_code: str,
    atena_nos: Sequence[str],
    *,
    households: dict[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, ProtectionState]:
    """States of several persons with four queries (search result pages)."""
    now = now or utcnow()
    wanted = list(dict.fromkeys(atena_nos))
    homes = households if households is not None else repo.households_of(session, lg_code, wanted)
    suppressions = repo.load_suppressions(session, lg_code, {*wanted, *homes.values()})
    temps = repo.load_temp_releases(session, lg_code, [s.suppression_id for s in suppressions])
    supports, shared = _supports_in_force(session, lg_code, wanted, set(homes.values()))
    states = {a: _state(a, homes.get(a), suppressions, temps, supports.get(a, ()), now) for a in wanted}
    return {a: replace(s, household_target=not s.support_target and homes.get(a) in shared) for a, s in states.items()}


def _supports_in_force(
    session: Session, lg_code: str, atena_nos: list[str], setai_nos: set[str]
) -> tuple[dict[str, tuple[int, ...]], set[str]]:
    """(宛名番号 → its 支援措置 in force, the 世帯 among ``setai_nos`` in which a current member is a
    支援対象者): one query for the subjects, one for their measures when there are any."""
    subjects = repo.subjects_in_scope(session, lg_code, atena_nos, setai_nos)
    ids = {support_id for _, support_id, _ in subjects}
    live = {m.support_id for m in repo.load_measures(session, lg_code, ids) if m.in_force} if ids else set()
    wanted, own, shared = set(atena_nos), dict[str, list[int]](), set[str]()
    for atena_no, support_id, member_of in subjects:
        if support_id not in live:
            continue
        if atena_no in wanted:
            own.setdefault(atena_no, []).append(support_id)
        if member_of is not None:
            shared.add(member_of)
    return {a: tuple(v) for a, v in own.items()}, shared


def is_protected(
    session: Session, lg_code: str, atena_no: str, *, setai_no: str | None = None, now: datetime | None = None
) -> ProtectionState:
    """The protection state of one person (their own and their 世帯's 抑止, 支援措置)."""
    households = {atena_no: setai_no} if setai_no else None
    return protection_states(session, lg_code, [atena_no], households=households, now=now)[atena_no]


def _state(
    atena_no: str,
    setai_no: str | None,
    suppressions: list[Suppression],
    temps: list[domain.TemporaryRelease],
    support_ids: tuple[int, ...],
    now: datetime,
) -> ProtectionState:
    levels: dict[Process, Level] = {}
    linkage: dict[Process, Level] = {}
    suspended = False
    alerts: list[str] = []
    for process in Process:
        found = domain.findings(suppressions, temps, atena_no=atena_no, setai_no=setai_no, process=process, now=now)
        if (lv := domain.strongest(f.effective_level for f in found)) is not None:
            levels[process] = lv
        if (lv := domain.strongest(f.suppression.level for f in found)) is not None:
            linkage[process] = lv
        suspended = suspended or any(f.temporarily_released for f in found)
        alerts += [f"抑止（{process}）の終了日を過ぎています" for f in found if f.past_end]
    return ProtectionState(atena_no, support_ids, levels, linkage, suspended, tuple(alerts))


# --- disclosure gate ------------------------------------------------------------------------------


class DisclosureRefused(PermissionDenied):
    code = "protection-refused"


@dataclass
class Disclosure:
    allowed: bool
    process: Process
    persons: tuple[str, ...]
    blocked: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()
    request_id: int | None = None  # the review request opened (refused) or the release used (allowed)
    message: str = ""

    def error(self) -> DisclosureRefused:
        return DisclosureRefused(self.message, request_id=self.request_id, blocked=list(self.blocked))

    def raise_if_refused(self) -> None:
        if not self.allowed:
            raise self.error()


REFUSAL_MESSAGE = (
    "支援措置の対象者（またはその同一世帯員）か抑止（エラー）の設定がある住民が含まれるため処理できません。"
    "支援措置責任者の審査を依頼しました（審査依頼番号 {request_id}）。"
    "解除後に審査依頼番号を指定して再度操作してください。"
)


def check_disclosure(
    session: Session,
    lg_code: str,
    person_ids: Sequence[str],
    process: Process,
    release_id: int | None = None,
    *,
    actor: Actor | None = None,
    purpose: str = "",
    households: dict[str, str] | None = None,
    now: datetime | None = None,
    consume: bool = True,
) -> Disclosure:
    """May these persons' data (a certificate, an address on screen) be disclosed for ``process``?

    Refused when a person is a 支援対象者, lives in one 世帯 with a 支援対象者 (the same address), or has an
    エラー-level 抑止 in force for the process, unless
    ``release_id`` names a request the 支援措置責任者 released for exactly this process and these
    persons (single use, time-limited). A refusal opens a review request and is audited, as is the
    use of a release. アラート-level 抑止 let it through with alerts. ``consume=False`` checks a release
    without using it up (a preview before the issue that will use it).
    """
    actor = actor or Actor("system")
    now = now or utcnow()
    persons = tuple(dict.fromkeys(person_ids))
    states = protection_states(session, lg_code, persons, households=households, now=now)
    blocked = tuple(
        a for a, s in states.items() if s.support_target or s.household_target or s.levels.get(process) is Level.ERROR
    )
    alerts = tuple(
        f"宛名番号 {a}: 抑止（{process}・アラート）が設定されています"
        for a, s in states.items()
        if a not in blocked and s.levels.get(process) is Level.ALERT
    )
    if not blocked:
        if alerts:
            _audit(
                session,
                lg_code,
                actor,
                "protection:disclosure:alert",
                ",".join(persons)[:200],
                process=process.value,
                alerts=list(alerts),
            )
        return Disclosure(True, process, persons, alerts=alerts)
    if release_id is not None:
        problem = _use_release(session, lg_code, release_id, process, persons, now, consume)
        if problem is None:
            _audit(
                session,
                lg_code,
                actor,
                "protection:disclosure:released",
                ",".join(persons)[:200],
                process=process.value,
                request_id=release_id,
                blocked=list(blocked),
            )
            return Disclosure(True, process, persons, blocked, alerts, release_id)
        return _refuse(session, lg_code, actor, process, persons, blocked, purpose, now, problem)
    return _refuse(session, lg_code, actor, process, persons, blocked, purpose, now, None)


def _refuse(
    session: Session,
    lg_code: str,
    actor: Actor,
    process: Process,
    persons: tuple[str, ...],
    blocked: tuple[str, ...],
    purpose: str,
    now: datetime,
    release_problem: str | None,
) -> Disclosure:
    request_id = _open_request(session, lg_code, actor, process, persons, purpose, now)
    message = REFUSAL_MESSAGE.format(request_id=request_id)
    if release_problem:
        message = f"{release_problem} {message}"
    _audit(
        session,
        lg_code,
        actor,
        "protection:disclosure:refused",
        ",".join(persons)[:200],
        outcome="denied",
        process=process.value,
        blocked=list(blocked),
        request_id=request_id,
        release_problem=release_problem,
    )
    return Disclosure(False, process, persons, blocked, (), request_id, message)


def _open_request(
    session: Session,
    lg_code: str,
    actor: Actor,
    process: Process,
    persons: tuple[str, ...],
    purpose: str,
    now: datetime,
) -> int:
    request_id = repo.next_value(session, lg_code, "request")
    session.execute(
        insert(disclosure_requests).values(
            lg_code=lg_code,
            request_id=request_id,
            process=process.value,
            persons=list(persons),
            purpose=purpose.strip() or "（未記入）",
            requested_by=actor.user,
            requested_at=now,
            status="pending",
        )
    )
    repo.add_event(session, lg_code, "request.open", actor.user, now, request_id=request_id)
    return request_id


def _use_release(
    session: Session,
    lg_code: str,
    request_id: int,
    process: Process,
    persons: tuple[str, ...],
    now: datetime,
    consume: bool,
) -> str | None:
    """Consume a released request; return why it cannot be used, or None."""
    row = _request_row(session, lg_code, request_id)
    if row is None or row["status"] != "released":
        return f"審査依頼 {request_id} は解除されていません。"
    if row["process"] != process.value or not set(persons) <= set(row["persons"]):
        return f"審査依頼 {request_id} は別の処理または別の住民に対するものです。"
    if (repo.aware(row["expires_at"]) or now) <= now:
        return f"審査依頼 {request_id} の解除は有効期限が切れています。"
    if not consume:
        return None
    session.execute(
        update(disclosure_requests)
        .where(disclosure_requests.c.lg_code == lg_code, disclosure_requests.c.request_id == request_id)
        .values(status="used", used_at=now)
    )
    repo.add_event(session, lg_code, "request.use", row["requested_by"], now, request_id=request_id)
    return None


def _request_row(session: Session, lg_code: str, request_id: int) -> Any:
    stmt = select(disclosure_requests).where(
        disclosure_requests.c.lg_code == lg_code, disclosure_requests.c.request_id == request_id
    )
    return session.execute(stmt).mappings().first()


@dataclass(frozen=True)
class DisclosureRequest:
    request_id: int
    process: str
    persons: list[str]
    purpose: str
    requested_by: str
    requested_at: datetime
    status: str
    reviewed_by: str | None
    review_reason: str | None
    expires_at: datetime | None


STATUS_LABELS = {"pending": "審査待ち", "released": "解除済み", "rejected": "却下", "used": "使用済み"}


def _request_from(m: Any) -> DisclosureRequest:
    return DisclosureRequest(
        m["request_id"],
        m["process"],
        list(m["persons"]),
        m["purpose"],
        m["requested_by"],
        repo.aware(m["requested_at"]),
        m["status"],
        m["reviewed_by"],
        m["review_reason"],
        repo.aware(m["expires_at"]),
    )


def list_requests(session: Session, lg_code: str, status: str | None = None) -> list[DisclosureRequest]:
    stmt = select(disclosure_requests).where(disclosure_requests.c.lg_code == lg_code)
    if status:
        stmt = stmt.where(disclosure_requests.c.status == status)
    rows = session.execute(stmt.order_by(disclosure_requests.c.request_id.desc())).mappings()
    return [_request_from(m) for m in rows]


def get_request(session: Session, lg_code: str, request_id: int) -> DisclosureRequest:
    row = _request_row(session, lg_code, request_id)
    if row is None:
        raise NotFound(f"審査依頼 {request_id} は見つかりません", code="protection-request-not-found")
    return _request_from(row)


def review_request(
    session: Session,
    lg_code: str,
    actor: Actor,
    request_id: int,
    *,
    release: bool,
    reason: str,
    valid_minutes: int = DEFAULT_RELEASE_VALID_MINUTES,
    now: datetime | None = None,
) -> DisclosureRequest:
    """The 支援措置責任者 releases (or rejects) one request after 審査; the reason is required and audited."""
    request = get_request(session, lg_code, request_id)
    if request.status != "pending":
        raise LgcloudError(
            f"審査依頼 {request_id} は審査済みです（{STATUS_LABELS.get(request.status, request.status)}）",
            code="protection-request-closed",
            status=409,
        )
    if request.requested_by == actor.user:
        raise PermissionDenied("自分が依頼した審査を自分で解除することはできません", code="protection-self-review")
    _require_reason(reason)
    now = now or utcnow()
    status = "released" if release else "rejected"
    expires = now + timedelta(minutes=valid_minutes) if release else None
    session.execute(
        update(disclosure_requests)
        .where(disclosure_requests.c.lg_code == lg_code, disclosure_requests.c.request_id == request_id)
        .values(
            status=status, reviewed_by=actor.user, reviewed_at=now, review_reason=reason.strip(), expires_at=expires
        )
    )
    repo.add_event(
        session,
        lg_code,
        f"request.{status}",
        actor.user,
        now,
        request_id=request_id,
        reason=reason.strip(),
        expires_at=expires,
    )
    _audit(
        session,
        lg_code,
        actor,
        f"protection:disclosure:{'release' if release else 'reject'}",
        ",".join(request.persons)[:200],
        request_id=request_id,
        reason=reason.strip(),
        process=request.process,
    )
    return get_request(session, lg_code, request_id)
