"""Reads and writes of the protection tables for one tenant (no rules here: see domain.py)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, overload

from sqlalchemy import and_, bindparam, func, insert, or_, select
from sqlalchemy.orm import Session

from lgcloud.db.base import as_utc
from lgcloud.db.counters import next_counter
from lgcloud.protection.domain import (
    Affair,
    Level,
    MeasureStatus,
    Party,
    Perpetrator,
    Process,
    Provisional,
    Scope,
    SupportMeasure,
    Suppression,
    TemporaryRelease,
    Transfer,
)
from lgcloud.protection.models import counters, events, support_revisions, support_subjects, suppressions

RELEASE = "suppression.release"
TEMP_RELEASE = "suppression.temp_release"


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def next_value(session: Session, lg_code: str, name: str) -> int:
    return next_counter(session, counters, lg_code, name)


def add_event(session: Session, lg_code: str, kind: str, actor: str, at: datetime, **values: Any) -> int:
    event_id = next_value(session, lg_code, "event")
    session.execute(
        insert(events).values(lg_code=lg_code, event_id=event_id, kind=kind, actor=actor, occurred_at=at, **values)
    )
    return event_id


# --- suppressions ---------------------------------------------------------------------------------


def insert_suppression(session: Session, lg_code: str, s: Suppression, actor: str, at: datetime) -> None:
    session.execute(
        insert(suppressions).values(
            lg_code=lg_code,
            suppression_id=s.suppression_id,
            scope=s.scope.value,
            target=s.target,
            process=s.process.value,
            level=s.level.value,
            start_on=s.start_on,
            end_on=s.end_on,
            reason=s.reason,
            support_id=s.support_id,
            created_by=actor,
            created_at=at,
        )
    )


def _released_at(session: Session, lg_code: str, ids: list[int]) -> dict[int, datetime]:
    if not ids:
        return {}
    stmt = (
        select(events.c.suppression_id, func.min(events.c.occurred_at))
        .where(events.c.lg_code == lg_code, events.c.kind == RELEASE, events.c.suppression_id.in_(ids))
        .group_by(events.c.suppression_id)
    )
    return {sid: aware(at) for sid, at in session.execute(stmt)}


#: Prebuilt (compiled once per process): every feed page and webhook batch asks for its persons.
_SUPPRESSIONS_OF = (
    select(suppressions)
    .where(suppressions.c.lg_code == bindparam("lg"), suppressions.c.target.in_(bindparam("targets", expanding=True)))
    .order_by(suppressions.c.suppression_id)
)


def load_suppressions(session: Session, lg_code: str, targets: Iterable[str] | None = None) -> list[Suppression]:
    if targets is not None:
        found = session.execute(_SUPPRESSIONS_OF, {"lg": lg_code, "targets": list(targets)})
    else:
        stmt = select(suppressions).where(suppressions.c.lg_code == lg_code).order_by(suppressions.c.suppression_id)
        found = session.execute(stmt)
    rows = list(found.mappings())
    released = _released_at(session, lg_code, [r["suppression_id"] for r in rows])
    return [
        Suppression(
            suppression_id=r["suppression_id"],
            scope=Scope(r["scope"]),
            target=r["target"],
            process=Process(r["process"]),
            level=Level(r["level"]),
            start_on=r["start_on"],
            end_on=r["end_on"],
            reason=r["reason"],
            support_id=r["support_id"],
            released_at=released.get(r["suppression_id"]),
        )
        for r in rows
    ]


def load_temp_releases(session: Session, lg_code: str, suppression_ids: Iterable[int]) -> list[TemporaryRelease]:
    ids = list(suppression_ids)
    if not ids:
        return []
    stmt = select(events).where(
        events.c.lg_code == lg_code, events.c.kind == TEMP_RELEASE, events.c.suppression_id.in_(ids)
    )
    return [
        TemporaryRelease(
            suppression_id=m["suppression_id"],
            granted_at=aware(m["occurred_at"]),
            expires_at=aware(m["expires_at"]),
            granted_by=m["actor"],
            reason=m["reason"] or "",
        )
        for m in session.execute(stmt).mappings()
    ]


# --- 支援措置 --------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def measure_to_json(measure: SupportMeasure) -> dict[str, Any]:
    return _jsonable(dataclasses.asdict(measure))


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _party(data: Mapping[str, Any]) -> Party:
    return Party(
        **{
            **data,
            "prev_addresses": tuple(data.get("prev_addresses") or ()),
            "prev_honseki": tuple(data.get("prev_honseki") or ()),
        }
    )


def measure_from_json(data: Mapping[str, Any]) -> SupportMeasure:
    provisional = data.get("provisional")
    return SupportMeasure(
        support_id=data["support_id"],
        applicant=_party(data["applicant"]),
        received_on=date.fromisoformat(data["received_on"]),
        companions=tuple(_party(p) for p in data.get("companions") or ()),
        perpetrators=tuple(Perpetrator(**p) for p in data.get("perpetrators") or ()),
        affairs=tuple(Affair(a) for a in data.get("affairs") or ()),
        status=MeasureStatus(data["status"]),
        start_on=_day(data.get("start_on")),
        end_on=_day(data.get("end_on")),
        provisional=Provisional(date.fromisoformat(provisional["start_on"]), provisional["original_municipality"])
        if provisional
        else None,
        transfers=tuple(
            Transfer(
                t["to_municipality"],
                date.fromisoformat(t["transferred_on"]),
                _day(t.get("received_on")),
                _day(t.get("contacted_on")),
            )
            for t in data.get("transfers") or ()
        ),
        extensions=int(data.get("extensions") or 0),
        ended_on=_day(data.get("ended_on")),
        end_reason=data.get("end_reason") or "",
    )


def append_revision(session: Session, lg_code: str, measure: SupportMeasure, actor: str, at: datetime) -> int:
    last = session.execute(
        select(func.max(support_revisions.c.revision)).where(
            support_revisions.c.lg_code == lg_code, support_revisions.c.support_id == measure.support_id
        )
    ).scalar()
    revision = int(last or 0) + 1
    session.execute(
        insert(support_revisions).values(
            lg_code=lg_code,
            support_id=measure.support_id,
            revision=revision,
            status=measure.status.value,
            start_on=measure.start_on,
            end_on=measure.end_on,
            data=measure_to_json(measure),
            recorded_by=actor,
            recorded_at=at,
        )
    )
    _add_subjects(session, lg_code, measure)
    return revision


def _add_subjects(session: Session, lg_code: str, measure: SupportMeasure) -> None:
    known = set(
        session.execute(
            select(support_subjects.c.atena_no).where(
                support_subjects.c.lg_code == lg_code, support_subjects.c.support_id == measure.support_id
            )
        ).scalars()
    )
    roles = {measure.applicant.atena_no: "申出者"} if measure.applicant.atena_no else {}
    for companion in measure.companions:
        if companion.atena_no and companion.atena_no not in roles:
            roles[companion.atena_no] = "併せて支援を求める者"
    for atena_no, role in roles.items():
        if atena_no not in known:
            session.execute(
                insert(support_subjects).values(
                    lg_code=lg_code, support_id=measure.support_id, atena_no=atena_no, role=role
                )
            )


def _latest_revisions(lg_code: str) -> Any:
    latest = (
        select(support_revisions.c.support_id, func.max(support_revisions.c.revision).label("revision"))
        .where(support_revisions.c.lg_code == lg_code)
        .group_by(support_revisions.c.support_id)
        .subquery()
    )
    return (
        select(support_revisions)
        .join(
            latest,
            and_(
                support_revisions.c.support_id == latest.c.support_id,
                support_revisions.c.revision == latest.c.revision,
            ),
        )
        .where(support_revisions.c.lg_code == lg_code)
    )


def load_measures(session: Session, lg_code: str, support_ids: Iterable[int] | None = None) -> list[SupportMeasure]:
    stmt = _latest_revisions(lg_code)
    if support_ids is not None:
        stmt = stmt.where(support_revisions.c.support_id.in_(list(support_ids)))
    rows = session.execute(stmt.order_by(support_revisions.c.support_id)).mappings()
    return [measure_from_json(r["data"]) for r in rows]


def measure_history(session: Session, lg_code: str, support_id: int) -> list[dict[str, Any]]:
    stmt = (
        select(support_revisions)
        .where(support_revisions.c.lg_code == lg_code, support_revisions.c.support_id == support_id)
        .order_by(support_revisions.c.revision)
    )
    return [dict(m) for m in session.execute(stmt).mappings()]


def support_ids_of(session: Session, lg_code: str, atena_nos: Iterable[str]) -> dict[str, list[int]]:
    stmt = select(support_subjects.c.atena_no, support_subjects.c.support_id).where(
        support_subjects.c.lg_code == lg_code, support_subjects.c.atena_no.in_(list(atena_nos))
    )
    found: dict[str, list[int]] = {}
    for atena_no, support_id in session.execute(stmt):
        found.setdefault(atena_no, []).append(support_id)
    return found


@functools.cache
def _subjects_in_scope_statement() -> Any:
    """Built on first use (the residents tables are imported late, as in :func:`households_of`)."""
    from lgcloud.residents.models import current

    member = and_(
        current.c.lg_code == support_subjects.c.lg_code,
        current.c.atena_no == support_subjects.c.atena_no,
        current.c.setai_no.in_(bindparam("setai_nos", expanding=True)),
        current.c.status == "住民",
    )
    return (
        select(support_subjects.c.atena_no, support_subjects.c.support_id, current.c.setai_no)
        .select_from(support_subjects.outerjoin(current, member))
        .where(
            support_subjects.c.lg_code == bindparam("lg"),
            or_(
                support_subjects.c.atena_no.in_(bindparam("atena_nos", expanding=True)),
                current.c.atena_no.is_not(None),
            ),
        )
        .order_by(support_subjects.c.atena_no, support_subjects.c.support_id)
    )


def subjects_in_scope(
    session: Session, lg_code: str, atena_nos: Iterable[str], setai_nos: Iterable[str]
) -> list[tuple[str, int, str | None]]:
    """(宛名番号, 支援措置 id, 世帯番号 or None) of every 支援措置 subject among ``atena_nos`` or among the current
    住民 members of ``setai_nos``; the 世帯番号 is set for the latter."""
    params = {"lg": lg_code, "atena_nos": list(atena_nos), "setai_nos": list(setai_nos)}
    return [(a, int(i), s) for a, i, s in session.execute(_subjects_in_scope_statement(), params)]


def households_of(session: Session, lg_code: str, atena_nos: Iterable[str]) -> dict[str, str]:
    """宛名番号 → current 世帯番号, from the 住民記録 (empty when the registry has no such person)."""
    from lgcloud.residents.models import current

    wanted = list(atena_nos)
    if not wanted:
        return {}
    stmt = select(current.c.atena_no, current.c.setai_no).where(
        current.c.lg_code == lg_code, current.c.atena_no.in_(wanted)
    )
    return {a: s for a, s in session.execute(stmt)}
