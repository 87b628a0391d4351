"""団体間 (between members of one cloud group): 転出証明書情報 → 特例転入 → 転入通知 → 除票 確定.

1. ``scan``: a 転出 at the source whose 転出先住所 names another *current member of the same group*
   puts the 転出証明書情報 (the moving persons only) into the destination's ``linkage_inbox``.
2. ``complete``: the destination clerk completes the 転入 from it — the persons prefilled, characters
   exactly as the source holds them — through the residents' 転入 service, in one transaction with the
   inbox item's completion.
3. ``notify``: the destination's 転入通知 (転入日, 転入先住所) goes to the source's inbox and is applied
   there as the 転出確定 (``move_out_confirm``), which fixes the 除票.

Each step runs in the tenant's own transaction (RLS holds on both sides); steps that cross tenants are
idempotent (unique ``(lg_code, kind, from_lg_code, ref)``) and resumed by the worker, so a crash
between the two sides neither loses nor doubles a handoff. Neither side reads the other's registry:
the source sends what the 転出証明書 carries, the destination sends back what the 転入通知 carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lgcloud.db import Database
from lgcloud.db.base import utcnow
from lgcloud.errors import Conflict, LgcloudError, NotFound
from lgcloud.linkage import cloudevents, outbox, vocabulary
from lgcloud.linkage.models import cursors, inbox
from lgcloud.logging import get_logger
from lgcloud.residents.commands import AddressInput, MoveIn, MoveOutConfirm, PersonInput
from lgcloud.residents.events import EventType
from lgcloud.residents.model import Row, Status
from lgcloud.residents.repository import SqlRegistry
from lgcloud.residents.services import Actor, record_ido
from lgcloud.tenancy import services as tenancy
from lgcloud.tenancy.audit import record_audit

CERTIFICATE = "tenshutsu-shomeisho"  # 転出証明書情報
NOTICE = "tennyu-tsuchi"  # 転入通知
SCAN_CURSOR = "handoff-scan"
ITEM_COUNTER = "inbox-item"
SYSTEM_ACTOR = Actor("system:linkage", place="団体間連携")
log = get_logger(__name__)


# --- small helpers ----------------------------------------------------------------------------------


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def counter_next(session: Session, lg_code: str, name: str) -> int:
    """Per-tenant counter in ``linkage_cursors``, row-locked until commit (ids without races)."""
    stmt = (
        update(cursors)
        .where(cursors.c.lg_code == lg_code, cursors.c.name == name)
        .values(value=cursors.c.value + 1, updated_at=utcnow())
        .returning(cursors.c.value)
    )
    value = session.execute(stmt).scalar()
    if value is None:
        session.execute(
            _insert(session)(cursors)
            .values(lg_code=lg_code, name=name, value=0, updated_at=utcnow())
            .on_conflict_do_nothing()
        )
        value = session.execute(stmt).scalar_one()
    return int(value)


def get_cursor(session: Session, lg_code: str, name: str, *, lock: bool = False) -> int:
    stmt = select(cursors.c.value).where(cursors.c.lg_code == lg_code, cursors.c.name == name)
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    value = session.execute(stmt).scalar()
    return int(value or 0)


def set_cursor(session: Session, lg_code: str, name: str, value: int) -> None:
    stmt = _insert(session)(cursors).values(lg_code=lg_code, name=name, value=value, updated_at=utcnow())
    session.execute(
        stmt.on_conflict_do_update(index_elements=["lg_code", "name"], set_={"value": value, "updated_at": utcnow()})
    )


def _deliver(session: Session, to_lg: str, kind: str, from_lg: str, ref: str, payload: dict[str, Any]) -> bool:
    """Put an item in ``to_lg``'s inbox unless it is already there. True when new."""
    exists = session.execute(
        select(inbox.c.item_id).where(
            inbox.c.lg_code == to_lg, inbox.c.kind == kind, inbox.c.from_lg_code == from_lg, inbox.c.ref == ref
        )
    ).first()
    if exists:
        return False
    session.execute(
        inbox.insert().values(
            lg_code=to_lg,
            item_id=counter_next(session, to_lg, ITEM_COUNTER),
            kind=kind,
            from_lg_code=from_lg,
            ref=ref,
            state="received",
            payload=payload,
            created_at=utcnow(),
        )
    )
    return True


# --- the group ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    lg_code: str
    prefecture: str
    name: str


def group_members(database: Database, lg_code: str) -> list[Member]:
    """The other current members of ``lg_code``'s cloud group (platform tables, no resident data)."""
    with database.session() as session:
        membership = tenancy.current_membership(session, lg_code)
        if membership is None:
            return []
        rows = tenancy.list_municipalities(session, membership.group_id)
        return [Member(m.lg_code, m.prefecture, m.name) for m, _ in rows if m.lg_code != lg_code]


def destination(address: str | None, members: list[Member]) -> Member | None:
    """The member whose 都道府県+市区町村 (or 市区町村 alone) begins the 転出先住所; the longest wins. When
    the longest match names two members (伊達市 of 北海道 and of 福島県, written without the 都道府県), none:
    a person's 転出証明書情報 goes to the wrong municipality never, to the clerk's hand at worst."""
    text = (address or "").replace(" ", "").replace("\u3000", "")
    found = [(len(f"{m.prefecture}{m.name}"), m) for m in members if text.startswith(f"{m.prefecture}{m.name}")]
    found += [(len(m.name), m) for m in members if m.name and text.startswith(m.name)]
    if not found:
        return None
    longest = max(length for length, _ in found)
    best = {m.lg_code: m for length, m in found if length == longest}
    return next(iter(best.values())) if len(best) == 1 else None


def _addressee(payload: dict[str, Any], members: list[Member]) -> Member | None:
    """The member the clerk named by its 団体コード (none if it is not one), else the one the address names."""
    if code := payload.get("転出先団体コード"):
        return next((m for m in members if m.lg_code == code), None)
    return destination(payload["転出先住所"], members)


# --- 1. the source sends 転出証明書情報 ------------------------------------------------------------------


def person_input(row: Row) -> dict[str, Any]:
    """The 転入 form of the destination, prefilled from the source's row (PersonInput fields)."""
    p = row.person
    birth = p.birth_date.text or p.birth_date.iso() or ""
    data = PersonInput(
        kind=p.kind,
        shimei=p.shimei,
        shimei_kana=p.shimei_kana,
        shimei_kana_confirmed=p.shimei_kana_confirmed,
        alpha_name=p.alpha_name,
        kyushi=p.kyushi,
        kyushi_kana=p.kyushi_kana,
        tsusho=p.tsusho,
        tsusho_kana=p.tsusho_kana,
        birth_date=birth,
        sex=p.sex,
        zokugara=p.zokugara,
        honseki=p.honseki,
        hittosha=p.hittosha,
        juminhyo_code=p.juminhyo_code,
        mynumber=p.mynumber,
        nationality=p.nationality,
        foreign_status_kind=p.foreign_status_kind,
        residence_status=p.residence_status,
        period_of_stay=p.period_of_stay,
        stay_expires_on=p.stay_expires_on,
        residence_card_no=p.residence_card_no,
    )
    return data.model_dump(mode="json", exclude_none=True)


def certificate(session: Session, lg_code: str, ido_id: int) -> dict[str, Any] | None:
    """転出証明書情報 of one 転出 異動 (its movers only), or None if they are no longer 転出."""
    registry = SqlRegistry(session, lg_code)
    record = registry.ido(ido_id)
    if record is None:
        return None
    rows = [r for r in registry.rows_of_ido(ido_id) if r.atena_no in record.subjects]
    if not rows or any(r.person.status is not Status.MOVED_OUT for r in rows):
        return None
    place = cloudevents.municipality(session, lg_code)
    first = rows[0].person
    flags = cloudevents.protection_flags(session, lg_code, [r.atena_no for r in rows])
    return {
        "転出元": {"全国地方公共団体コード": lg_code, "都道府県": place.prefecture, "市区町村": place.name},
        "異動番号": ido_id,
        "転出予定年月日": first.move_out_planned_on.isoformat() if first.move_out_planned_on else None,
        "転出先住所": first.move_out_to,
        "転出先郵便番号": first.move_out_to_postal_code,
        "転出先団体コード": record.command.get("move_out_to_lg_code"),
        "前住所": vocabulary.address(first.address, place, katagaki=first.katagaki, postal=first.postal_code),
        "世帯主氏名": first.head_name,
        "異動者": [
            {
                "元宛名番号": r.atena_no,
                "入力": person_input(r),
                "表示": vocabulary.person(r, place, include_mynumber=True),
                "支援対象者": flags.get(r.atena_no, {}).get("支援対象者"),
            }
            for r in rows
        ],
    }


def scan(database: Database, lg_code: str, *, limit: int = 200) -> int:
    """Send the 転出証明書情報 of new 転出 to member municipalities. Returns how many were sent."""
    with database.session(lg_code) as session:
        after = get_cursor(session, lg_code, SCAN_CURSOR, lock=True)
        head, events = outbox.read_with_head(session, lg_code, after=after, limit=limit, types=[EventType.TENSHUTSU])
        if not events:  # the usual pass: nothing to hand over, at most the cursor moves past other events
            if head > after:
                set_cursor(session, lg_code, SCAN_CURSOR, head)
            return 0
        certificates = _certificates(session, lg_code, events, group_members(database, lg_code))
    sent = 0
    for member, ido_id, payload in certificates:
        with database.session(member.lg_code) as session:
            if _deliver(session, member.lg_code, CERTIFICATE, lg_code, f"ido:{ido_id}", payload):
                record_audit(
                    session,
                    lg_code=member.lg_code,
                    actor=f"system:linkage:{lg_code}",
                    action="linkage:inbox:receive",
                    target=f"{CERTIFICATE}:{lg_code}:{ido_id}",
                )
                sent += 1
    with database.session(lg_code) as session:
        for member, ido_id, _ in certificates:
            record_audit(
                session,
                lg_code=lg_code,
                actor="system:linkage",
                action="linkage:handoff:send",
                target=f"ido:{ido_id}",
                detail={"to": member.lg_code},
            )
        set_cursor(session, lg_code, SCAN_CURSOR, events[-1].seq if len(events) == limit else max(after, head))
    return sent


def _certificates(
    session: Session, lg_code: str, events: list[outbox.OutboxEvent], members: list[Member]
) -> list[tuple[Member, int, dict[str, Any]]]:
    found: dict[int, tuple[Member, int, dict[str, Any]]] = {}
    for event in events:
        ido_id = int(event.payload.get("ido_id", 0))
        if ido_id in found or event.payload.get("status") != Status.MOVED_OUT.value:
            continue
        payload = certificate(session, lg_code, ido_id)
        member = _addressee(payload, members) if payload else None
        if payload and member:
            found[ido_id] = (member, ido_id, payload)
    return list(found.values())


# --- 2. the destination completes the 転入 ------------------------------------------------------------


@dataclass(frozen=True)
class Completion:
    address: AddressInput
    ido_date: str | None = None  # 転入日 (blank → today)
    to_setai_no: str | None = None  # join an existing 世帯; default: a new 世帯
    zokugara: dict[str, str] | None = None  # 元宛名番号 → 続柄 in the new 世帯 (default: as at the source)


def get_item(session: Session, lg_code: str, item_id: int, *, lock: bool = False) -> dict[str, Any]:
    stmt = select(inbox).where(inbox.c.lg_code == lg_code, inbox.c.item_id == item_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    m = session.execute(stmt).mappings().first()
    if m is None:
        raise NotFound(f"受信箱の項目 {item_id} は見つかりません", code="inbox-item-not-found")
    return dict(m)


def list_items(
    session: Session, lg_code: str, *, kind: str | None = None, state: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    stmt = select(inbox).where(inbox.c.lg_code == lg_code)
    if kind:
        stmt = stmt.where(inbox.c.kind == kind)
    if state:
        stmt = stmt.where(inbox.c.state == state)
    stmt = stmt.order_by(inbox.c.item_id.desc()).limit(max(1, min(limit, 500)))
    return [dict(m) for m in session.execute(stmt).mappings()]


def move_in_command(item: dict[str, Any], completion: Completion) -> MoveIn:
    payload = item["payload"]
    overrides = completion.zokugara or {}
    persons = [
        PersonInput.model_validate(
            {**mover["入力"], "zokugara": overrides.get(mover["元宛名番号"], mover["入力"]["zokugara"])}
        )
        for mover in payload["異動者"]
    ]
    before = payload.get("前住所") or {}
    return MoveIn(
        origin="domestic",
        persons=persons,
        address=completion.address,
        ido_date=completion.ido_date,
        to_setai_no=completion.to_setai_no,
        prev_address=before.get("表記"),
        prev_postal_code=before.get("郵便番号"),
        note=f"特例転入（転出証明書情報: {payload['転出元']['全国地方公共団体コード']} 異動{payload['異動番号']}）",
    )


def complete(
    database: Database,
    lg_code: str,
    item_id: int,
    completion: Completion,
    *,
    actor: Actor,
    today: date | None = None,
) -> dict[str, Any]:
    """The 特例転入 from an inbox item, atomically with the item's completion; then the 転入通知."""
    with database.session(lg_code) as session:
        item = get_item(session, lg_code, item_id, lock=True)
        if item["kind"] != CERTIFICATE:
            raise LgcloudError("この項目は転出証明書情報ではありません", code="inbox-kind")
        if item["state"] != "received":
            raise Conflict("この転出証明書情報による転入は処理済みです", code="inbox-done")
        result = record_ido(session, lg_code, actor, move_in_command(item, completion), today=today)
        sources = [m["元宛名番号"] for m in item["payload"]["異動者"]]
        outcome = {
            "異動番号": result.ido.ido_id,
            "転入日": result.ido.ido_date.iso(),
            "宛名番号": dict(zip(sources, result.ido.subjects, strict=True)),  # 異動者, in the persons' order
            "転入先住所": vocabulary.address(
                completion.address.address,
                cloudevents.municipality(session, lg_code),
                katagaki=completion.address.katagaki,
            )["表記"],  # type: ignore[index]
        }
        session.execute(
            update(inbox)
            .where(inbox.c.lg_code == lg_code, inbox.c.item_id == item_id)
            .values(state="completed", result=outcome, completed_at=utcnow(), completed_by=actor.user)
        )
        record_audit(
            session,
            lg_code=lg_code,
            actor=actor.user,
            action="linkage:inbox:complete",
            target=f"item:{item_id}",
            detail={"ido_id": result.ido.ido_id},
            source_ip=actor.source_ip,
        )
    try:
        notify(database, lg_code, today=today)
    except Exception:  # the 転入 stands; the worker sends the 転入通知 on its next pass
        log.exception("転入通知 not sent yet", lg_code=lg_code, item_id=item_id)
    return outcome


# --- 3. the 転入通知 flows back --------------------------------------------------------------------------


def notify(database: Database, lg_code: str, *, today: date | None = None) -> int:
    """Send the 転入通知 of every completed item back to its source and apply it there."""
    with database.session(lg_code) as session:
        done = list_items(session, lg_code, kind=CERTIFICATE, state="completed", limit=500)
    for item in done:
        notice = {
            "転入先": {"全国地方公共団体コード": lg_code},
            "転入日": item["result"]["転入日"],
            "転入先住所": item["result"]["転入先住所"],
            "異動者": [m["元宛名番号"] for m in item["payload"]["異動者"]],
        }
        _apply_notice(database, item["from_lg_code"], lg_code, f"item:{item['item_id']}", notice, today)
        with database.session(lg_code) as session:
            session.execute(
                update(inbox)
                .where(inbox.c.lg_code == lg_code, inbox.c.item_id == item["item_id"])
                .values(state="notified")
            )
    return len(done)


def _apply_notice(
    database: Database, source: str, dest: str, ref: str, notice: dict[str, Any], today: date | None
) -> None:
    """At the source: record the 転入通知 and confirm each 転出 (除票 確定), in one transaction."""
    with database.session(source) as session:
        if not _deliver(session, source, NOTICE, dest, ref, notice):
            return  # already applied
        results = {}
        for atena_no in notice["異動者"]:
            command = MoveOutConfirm(
                atena_no=atena_no,
                move_in_date=date.fromisoformat(notice["転入日"]),
                confirmed_to=notice["転入先住所"],
                notice_date=today,
            )
            try:
                with session.begin_nested():
                    record_ido(session, source, SYSTEM_ACTOR, command, today=today)
                results[atena_no] = "applied"
            except LgcloudError as exc:  # e.g. the 転出 was cancelled meanwhile: kept for a clerk to see
                results[atena_no] = f"error: {exc.message}"
        session.execute(
            update(inbox)
            .where(inbox.c.lg_code == source, inbox.c.kind == NOTICE, inbox.c.from_lg_code == dest, inbox.c.ref == ref)
            .values(state="applied", result=results, completed_at=utcnow(), completed_by=SYSTEM_ACTOR.user)
        )


def run(database: Database, lg_codes: list[str], *, today: date | None = None) -> int:
    """One worker pass over the given municipalities: send new certificates, send pending notices."""
    return sum(scan(database, lg) + notify(database, lg, today=today) for lg in lg_codes)
