"""Append-only, hash-chained audit log, one chain per municipality.

Each entry's hash is SHA-256 over the canonical JSON of all its fields plus the previous entry's
hash, so editing, deleting, inserting or reordering any entry breaks the chain from that point on.
A per-tenant head row, locked while appending, keeps sequence numbers gap-free under concurrency.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from lgcloud.db.base import utcnow
from lgcloud.db.session import tenant_of
from lgcloud.tenancy.models import AuditEntry, AuditHead

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "lg_code",
    "seq",
    "occurred_at",
    "actor",
    "source_ip",
    "action",
    "target",
    "outcome",
    "detail",
)


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(fields: dict[str, Any], prev_hash: str) -> str:
    payload = canonical_json({**{k: fields[k] for k in HASHED_FIELDS}, "prev_hash": prev_hash})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


_HEADS = AuditHead.__table__
_ENTRIES = AuditEntry.__table__
#: Prebuilt (compiled once per process): every audited request runs these two.
_LOCK_HEAD = (
    select(_HEADS.c.last_seq, _HEADS.c.last_hash).where(_HEADS.c.lg_code == bindparam("lg")).with_for_update()
)
_ENTRY_COLUMNS = (*HASHED_FIELDS, "prev_hash", "entry_hash")
_MOVE_HEAD = (
    update(_HEADS)
    .where(_HEADS.c.lg_code == bindparam("a_lg_code"))
    .values(last_seq=bindparam("a_seq"), last_hash=bindparam("a_entry_hash"))
)
_INSERT_ENTRY = insert(_ENTRIES).values({name: bindparam(f"a_{name}") for name in _ENTRY_COLUMNS})
#: PostgreSQL: the entry and the head move in one statement (the head update as a data-modifying CTE).
_APPEND_PG = _INSERT_ENTRY.add_cte(_MOVE_HEAD.cte("move_head"))


def _lock_head(session: Session, lg_code: str) -> tuple[int, str]:
    """(last seq, last hash) of the chain, its head row locked until commit (created if missing)."""
    row = session.execute(_LOCK_HEAD, {"lg": lg_code}).first()
    if row is None:
        session.execute(insert(_HEADS), {"lg_code": lg_code, "last_seq": 0, "last_hash": GENESIS_HASH})
        return 0, GENESIS_HASH
    return int(row[0]), str(row[1])


def record_audit(
    session: Session,
    *,
    lg_code: str,
    actor: str,
    action: str,
    target: str | None = None,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
    source_ip: str | None = None,
) -> AuditEntry:
    """Append one entry to ``lg_code``'s chain inside the caller's transaction.

    The transaction must be in ``lg_code``'s tenant context (RLS on PostgreSQL would refuse the
    row otherwise); checking it on every backend keeps SQLite tests as strict as production.
    Core statements, not the ORM unit of work: lock the head, then insert the entry and move the
    head (one statement on PostgreSQL, the head update as a data-modifying CTE). The returned
    entry is a detached copy of the row written.
    """
    if tenant_of(session) != lg_code:
        raise RuntimeError(f"audit entry for {lg_code} written in tenant context {tenant_of(session)!r}")
    last_seq, last_hash = _lock_head(session, lg_code)
    fields: dict[str, Any] = {
        "lg_code": lg_code,
        "seq": last_seq + 1,
        "occurred_at": utcnow().isoformat(timespec="microseconds"),
        "actor": actor,
        "source_ip": source_ip,
        "action": action,
        "target": target,
        "outcome": outcome,
        "detail": canonical_json(detail or {}),
    }
    digest = entry_hash(fields, last_hash)
    row = {**fields, "prev_hash": last_hash, "entry_hash": digest}
    params = {f"a_{name}": value for name, value in row.items()}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_APPEND_PG, params)
    else:
        session.execute(_INSERT_ENTRY, params)
        session.execute(_MOVE_HEAD, params)
    return AuditEntry(**row)


@dataclass(frozen=True)
class ChainReport:
    lg_code: str
    entries: int
    ok: bool
    broken_seq: int | None = None
    reason: str | None = None


def verify_entries(lg_code: str, entries: Iterable[AuditEntry], head: AuditHead | None) -> ChainReport:
    """Walk the chain in ``seq`` order and report the first entry that does not fit."""
    prev_hash, expected_seq, count = GENESIS_HASH, 1, 0
    for entry in entries:
        count += 1
        fields = {k: getattr(entry, k) for k in HASHED_FIELDS}
        if entry.seq != expected_seq:
            return ChainReport(lg_code, count, False, entry.seq, f"順序番号の欠落または挿入 (期待値 {expected_seq})")
        if entry.prev_hash != prev_hash:
            return ChainReport(lg_code, count, False, entry.seq, "直前エントリのハッシュと一致しません")
        if entry_hash(fields, prev_hash) != entry.entry_hash:
            return ChainReport(lg_code, count, False, entry.seq, "エントリ内容がハッシュと一致しません (改ざん)")
        prev_hash, expected_seq = entry.entry_hash, expected_seq + 1
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != prev_hash):
        return ChainReport(lg_code, count, False, expected_seq, "末尾のエントリが削除されています")
    return ChainReport(lg_code, count, True)


def verify_chain(session: Session, lg_code: str) -> ChainReport:
    entries = session.execute(
        select(AuditEntry).where(AuditEntry.lg_code == lg_code).order_by(AuditEntry.seq)
    ).scalars()
    head = session.execute(
        select(AuditHead).where(AuditHead.lg_code == lg_code).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    return verify_entries(lg_code, entries, head)


def list_entries(
    session: Session, lg_code: str, *, limit: int = 100, before_seq: int | None = None
) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.lg_code == lg_code)
    if before_seq is not None:
        query = query.where(AuditEntry.seq < before_seq)
    return list(session.execute(query.order_by(AuditEntry.seq.desc()).limit(limit)).scalars())
