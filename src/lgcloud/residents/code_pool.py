"""住民票コードの払出し (j870–j890): codes obtained in bulk from the CS (住基ネット) and pooled per municipality.

A 出生 or 国外転入 entered without a 住民票コード takes one at random from the pool, in the 異動's own transaction
(taken codes are never offered again, also when the 異動 is later cancelled). The desk warns once fewer than
:data:`LOW_WATERMARK` are left. Loading checks every code's check digit and skips codes the pool already has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lgcloud.codes.checkdigits import validate_juminhyo_code
from lgcloud.db.base import utcnow
from lgcloud.residents.models import code_pool
from lgcloud.tenancy.audit import record_audit

#: Below this many codes left, the desk and ``lgcloud residents code-pool status`` warn.
LOW_WATERMARK = 100


@dataclass(frozen=True)
class PoolStatus:
    available: int
    assigned: int

    @property
    def low(self) -> bool:
        return self.available < LOW_WATERMARK


@dataclass
class LoadReport:
    added: int = 0
    already: int = 0  # in the pool before (taken or not): skipped
    invalid: list[tuple[int, str, str]] = field(default_factory=list)  # (line, code, reason): not loaded


def status(session: Session, lg_code: str) -> PoolStatus:
    available = func.count().filter(code_pool.c.assigned_at.is_(None))
    row = session.execute(select(available, func.count() - available).where(code_pool.c.lg_code == lg_code)).one()
    return PoolStatus(int(row[0] or 0), int(row[1] or 0))


def load(session: Session, lg_code: str, lines: Iterable[str], actor: str) -> LoadReport:
    """Add the codes of a CS file (one per line; blank lines ignored). Invalid lines are reported, not loaded."""
    report = LoadReport()
    codes: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        code = line.strip()
        if not code:
            continue
        if reason := validate_juminhyo_code(code):
            report.invalid.append((number, code[:20], reason))
        elif code in codes:
            report.already += 1
        else:
            codes[code] = number
    if codes:
        # the pool's primary key decides what is new: no IN list of tens of thousands of codes to plan
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        now = utcnow()
        rows = [{"lg_code": lg_code, "juminhyo_code": c, "received_at": now, "received_by": actor} for c in codes]
        added = session.execute(
            insert(code_pool).on_conflict_do_nothing().returning(code_pool.c.juminhyo_code), rows
        ).all()
        report.added = len(added)
        report.already += len(codes) - len(added)
    record_audit(
        session,
        lg_code=lg_code,
        actor=actor,
        action="resident:code-pool:load",
        target=f"{report.added}",
        detail={"added": report.added, "already": report.already, "invalid": len(report.invalid)},
    )
    return report


def take(session: Session, lg_code: str, atena_no: str) -> str | None:
    """One code at random from the pool, given to ``atena_no`` until commit; None if the pool is empty.
    Concurrent 異動 skip each other's rows (PostgreSQL ``SKIP LOCKED``; SQLite writes one at a time)."""
    pick = (
        select(code_pool.c.juminhyo_code)
        .where(code_pool.c.lg_code == lg_code, code_pool.c.assigned_at.is_(None))
        .order_by(func.random())
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    taken = session.execute(
        update(code_pool)
        .where(code_pool.c.lg_code == lg_code, code_pool.c.juminhyo_code == pick, code_pool.c.assigned_at.is_(None))
        .values(assigned_at=utcnow(), atena_no=atena_no)
        .returning(code_pool.c.juminhyo_code)
    ).scalar()
    return str(taken) if taken else None
