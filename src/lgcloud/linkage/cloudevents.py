"""CloudEvents 1.0 (structured JSON) envelopes for outbox events.

The envelope is built when it is read: the outbox row names the snapshot (宛名番号 + 履歴番号) and the
history is append-only, so the same event always yields the same ``data``. Only ``支援対象者`` and ``抑止``
are evaluated at read time, so a protection set later also protects the earlier events of that person.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, select, text, tuple_
from sqlalchemy.orm import Session

from lgcloud.db.base import as_utc
from lgcloud.linkage import vocabulary
from lgcloud.linkage.catalogue import is_protection
from lgcloud.linkage.outbox import OutboxEvent
from lgcloud.residents.model import Ido, Row
from lgcloud.residents.models import current, history, ido
from lgcloud.residents.repository import ido_from, row_from

SPECVERSION = "1.0"
CONTENT_TYPE = "application/cloudevents+json"
BATCH_CONTENT_TYPE = "application/cloudevents-batch+json"
SCHEMA_BASE = "https://lgcloud.jp/schemas/events/"
#: CloudEvents extension attribute carrying the per-municipality sequence number (the cursor).
SEQ_ATTRIBUTE = "lgcloudseq"

#: (session, lg_code, 宛名番号s, their current 世帯番号 if known) → 宛名番号 → {"支援対象者": bool | None, "抑止": …}
ProtectionCheck = Callable[[Session, str, list[str], dict[str, str] | None], dict[str, dict[str, Any]]]


def source_of(lg_code: str) -> str:
    """The CloudEvents ``source`` of a municipality."""
    return f"urn:lgcloud:municipality:{lg_code}"


def schema_uri(event_type: str) -> str:
    return f"{SCHEMA_BASE}{event_type}/v1"


def iso_time(moment: datetime) -> str:
    return as_utc(moment).astimezone(UTC).isoformat().replace("+00:00", "Z")


def protection_flags(
    session: Session, lg_code: str, atena_nos: list[str], households: dict[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """支援対象者 and the 抑止 told to other systems (一時解除 is never propagated), from lgcloud.protection.
    ``households``: the persons' current 世帯番号 when the caller has read them already."""
    try:
        from lgcloud.protection.services import protection_states
    except ImportError:  # protection not installed: unknown, and consumers treat unknown as protected
        return {a: {"支援対象者": None, "同一世帯に支援対象者": None, "抑止": None} for a in atena_nos}
    states = protection_states(session, lg_code, atena_nos, households=households) if atena_nos else {}
    return {
        a: {
            "支援対象者": s.support_target,
            # Same 世帯, same address: consumers must protect it too.
            "同一世帯に支援対象者": s.household_target,
            "抑止": {str(p): str(lv) for p, lv in sorted(s.linkage_levels.items())},
        }
        for a, s in states.items()
    }


def municipality(session: Session, lg_code: str) -> vocabulary.Municipality:
    """都道府県 and name of a municipality (platform data, fixed by its code: cached per process)."""
    key = (str(session.get_bind().url), lg_code)
    if key not in _PLACES:
        _PLACES[key] = _load_municipality(session, lg_code)
    return _PLACES[key]


_PLACES: dict[tuple[str, str], vocabulary.Municipality] = {}


def _load_municipality(session: Session, lg_code: str) -> vocabulary.Municipality:
    row = session.execute(
        text("SELECT prefecture, name FROM tenancy_municipalities WHERE lg_code = :c"), {"c": lg_code}
    ).first()
    if row is None:
        return vocabulary.Municipality(lg_code, "", "")
    return vocabulary.Municipality(lg_code, row[0], row[1])


#: History rows by (宛名番号, 履歴番号), with the 異動 that wrote them (``ido__*``) and the person's current
#: 世帯番号: prebuilt, every feed page and webhook batch runs it.
_SNAPSHOTS = (
    select(history, *(c.label(f"ido__{c.name}") for c in ido.c), current.c.setai_no.label("current_setai_no"))
    .outerjoin(ido, and_(ido.c.lg_code == history.c.lg_code, ido.c.ido_id == history.c.ido_id))
    .outerjoin(current, and_(current.c.lg_code == history.c.lg_code, current.c.atena_no == history.c.atena_no))
    .where(
        history.c.lg_code == bindparam("lg"),
        tuple_(history.c.atena_no, history.c.rireki_no).in_(bindparam("keys", expanding=True)),
    )
)


@dataclass
class _Snapshots:
    rows: dict[tuple[str, int], Row]
    idos: dict[int, Ido]
    households: dict[str, str]  # 宛名番号 → current 世帯番号, for the persons of ``rows``


def _snapshots(session: Session, lg_code: str, events: Sequence[OutboxEvent]) -> _Snapshots:
    """The history rows the events name, with their 異動 and the persons' current 世帯, in one statement
    (an event's 異動 is the one that wrote its row; any other is read separately)."""
    keys = {(e.payload["atena_no"], int(e.payload["rireki_no"])) for e in events if "rireki_no" in e.payload}
    found = _Snapshots({}, {}, {})
    if keys:
        for m in session.execute(_SNAPSHOTS, {"lg": lg_code, "keys": sorted(keys)}).mappings():
            found.rows[(m["atena_no"], m["rireki_no"])] = row_from(m)
            if m["ido__ido_id"] is not None:
                found.idos[m["ido__ido_id"]] = ido_from({c.name: m[f"ido__{c.name}"] for c in ido.c})
            if m["current_setai_no"] is not None:
                found.households[m["atena_no"]] = m["current_setai_no"]
    wanted = {int(e.payload["ido_id"]) for e in events if e.payload.get("ido_id") is not None}
    if missing := sorted(wanted - found.idos.keys()):
        stmt = select(ido).where(ido.c.lg_code == lg_code, ido.c.ido_id.in_(missing))
        found.idos.update({m["ido_id"]: ido_from(m) for m in session.execute(stmt).mappings()})
    return found


def envelopes(
    session: Session,
    lg_code: str,
    events: Sequence[OutboxEvent],
    *,
    include_mynumber: bool = False,
    protection: ProtectionCheck | None = None,
) -> list[dict[str, Any]]:
    """The CloudEvents of ``events`` (one municipality), in the given order."""
    if not events:
        return []
    check = protection or protection_flags
    found = _snapshots(session, lg_code, events)
    place = municipality(session, lg_code)
    subjects = sorted({e.subject for e in events if e.subject})
    known = found.households if found.households.keys() >= set(subjects) else None  # else read them
    flags = check(session, lg_code, subjects, known)
    unknown = {"支援対象者": None, "抑止": None}
    out = []
    for event in events:
        data = _data(event, found.rows, found.idos, place, include_mynumber)
        data.update(flags.get(event.subject or "", unknown))
        out.append(envelope(event, data))
    return out


def _data(
    event: OutboxEvent,
    rows: dict[tuple[str, int], Row],
    idos: dict[int, Ido],
    place: vocabulary.Municipality,
    include_mynumber: bool,
) -> dict[str, Any]:
    p = event.payload
    if is_protection(event.type):
        return {"保護": p}
    row = rows.get((p.get("atena_no", ""), int(p.get("rireki_no", 0))))
    if row is None:  # an event type without a snapshot: pass its payload through
        return {"内容": p}
    record = idos.get(int(p["ido_id"])) if p.get("ido_id") is not None else None
    return {
        "異動": vocabulary.ido(record, p, event.subject or ""),
        "人": vocabulary.person(row, place, include_mynumber=include_mynumber),
    }


def envelope(event: OutboxEvent, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "specversion": SPECVERSION,
        "id": event.event_id,
        "source": source_of(event.lg_code),
        "type": event.type,
        "subject": event.subject,
        "time": iso_time(event.occurred_at),
        "datacontenttype": "application/json",
        "dataschema": schema_uri(event.type),
        SEQ_ATTRIBUTE: event.seq,
        "data": data,
    }
