"""異動 services: one 異動 = one transaction = history rows + 異動 record + audit entry + outbox events.

Call inside ``database.session(lg_code)``; on any error nothing is written (the caller's
transaction rolls back). The 処理日 is today in Japan, never taken from input.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from lgcloud.db.base import utcnow
from lgcloud.residents import protect
from lgcloud.residents.commands import Command
from lgcloud.residents.errors import ConcurrentUpdate
from lgcloud.residents.events import EVENT_OF_COMMAND
from lgcloud.residents.handlers import Plan, plan, reason_code
from lgcloud.residents.model import Ido, Row
from lgcloud.residents.repository import SqlRegistry
from lgcloud.tenancy.audit import record_audit

JST = ZoneInfo("Asia/Tokyo")


def today_jst() -> date:
    return datetime.now(JST).date()


@dataclass(frozen=True)
class Actor:
    """Who enters the 異動 and from where (入力者, 入力場所/端末, source IP for the audit log)."""

    user: str
    place: str | None = None
    source_ip: str | None = None


@dataclass(frozen=True)
class IdoResult:
    ido: Ido
    rows: list[Row]


def record_ido(
    session: Session,
    lg_code: str,
    actor: Actor,
    command: Command,
    *,
    today: date | None = None,
    expected: dict[str, int] | None = None,
) -> IdoResult:
    """Enter one 異動. ``expected`` maps 宛名番号 → the 履歴番号 the clerk's form showed (optional)."""
    registry = SqlRegistry(session, lg_code)
    atena_nos, setai_nos = _lock_targets(registry, command)
    registry.lock(atena_nos, setai_nos)
    protect.check_ido_allowed(session, lg_code, registry.currents(atena_nos) if atena_nos else [])
    _check_expected(registry, expected or {})
    planned = plan(command, registry, registry, today or today_jst())
    record = _ido_record(planned, 0, actor, today or today_jst())
    ido_id = registry.insert_ido(record, planned.new_setai_nos)  # takes the 異動番号; and the 世帯 it creates
    record = replace(record, ido_id=ido_id)
    rows = [registry.append(change, ido_id) for change in planned.changes]
    record_audit(
        session,
        lg_code=lg_code,
        actor=actor.user,
        action=f"resident:ido:{command.kind}",
        target=",".join(record.subjects)[:200],
        detail={"ido_id": ido_id, "reason": record.reason, "rows": [[r.atena_no, r.rireki_no] for r in rows]},
        source_ip=actor.source_ip,
    )
    _publish(registry, record, rows)
    return IdoResult(record, rows)


def _ido_record(planned: Plan, ido_id: int, actor: Actor, today: date) -> Ido:
    command = planned.command
    return Ido(
        ido_id=ido_id,
        kind=command.kind,
        reason=planned.reason,
        reason_class=planned.reason_class,
        ido_date=planned.ido_date,
        shori_date=today,
        todokede_date=planned.todokede_date,
        notice_date=command.notice_date,
        actor=actor.user,
        place=command.place or actor.place,
        note=planned.note,
        subjects=planned.subjects,
        command=command.model_dump(mode="json"),
        cancels_ido_id=planned.cancels_ido_id,
    )


def _lock_targets(registry: SqlRegistry, command: Command) -> tuple[set[str], set[str]]:
    """The persons and 世帯 a command names, plus the 世帯 those persons are in now."""
    data = command.model_dump()
    atena: set[str] = set(data.get("atena_nos") or [])
    for key in ("atena_no", "new_head"):
        if data.get(key):
            atena.add(data[key])
    for person in data.get("persons") or [data.get("person") or {}]:
        if person.get("atena_no"):
            atena.add(person["atena_no"])
    if command.kind == "cancel":
        target = registry.ido(command.target_ido_id)  # type: ignore[union-attr]
        atena |= set(target.subjects if target else ())
        atena |= {r.atena_no for r in registry.rows_of_ido(command.target_ido_id)}  # type: ignore[union-attr]
    setai = {data[k] for k in ("to_setai_no", "from_setai_no", "setai_no") if data.get(k)}
    setai |= {r.person.setai_no for r in registry.currents(atena)} if atena else set()
    return atena, setai


def _check_expected(registry: SqlRegistry, expected: dict[str, int]) -> None:
    for atena_no, rireki_no in expected.items():
        row = registry.current(atena_no)
        if row is not None and row.rireki_no != rireki_no:
            raise ConcurrentUpdate(
                f"宛名番号 {atena_no} は画面を開いた後に他の異動で更新されました。画面を開き直してください",
                atena_no=atena_no,
            )


def _publish(registry: SqlRegistry, record: Ido, rows: list[Row]) -> None:
    """One outbox event per changed person; seq per tenant gap-free (counter row locked to commit)."""
    if not rows:
        return
    event_type = EVENT_OF_COMMAND[record.kind].value
    code = reason_code(record.reason, record.reason_class)
    events = []
    for row in rows:
        payload = {
            "ido_id": record.ido_id,
            "reason": record.reason,
            "reason_class": record.reason_class.value,
            "reason_code": code,
            "ido_date": record.ido_date.iso(),
            "ido_date_text": record.ido_date.text,
            "shori_date": record.shori_date.isoformat(),
            "atena_no": row.atena_no,
            "rireki_no": row.rireki_no,
            "setai_no": row.person.setai_no,
            "status": row.person.status.value,
            "cancels_ido_id": record.cancels_ido_id,
        }
        events.append(
            {
                "event_id": str(uuid.uuid4()),
                "type": event_type,
                "subject": row.atena_no,
                "occurred_at": utcnow(),
                "payload": payload,
            }
        )
    registry.insert_events(events)  # seq per tenant, gap-free: see SqlRegistry.insert_events
