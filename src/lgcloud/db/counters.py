"""Per-tenant counters (issue numbers, event ids): gap-free because they live in the caller's transaction."""

from __future__ import annotations

from sqlalchemy import Table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def next_counter(session: Session, table: Table, lg_code: str, name: str) -> int:
    """Counter ``name`` +1 in ``table`` (columns lg_code, name, value); the row stays locked until commit."""
    stmt = (
        update(table)
        .where(table.c.lg_code == lg_code, table.c.name == name)
        .values(value=table.c.value + 1)
        .returning(table.c.value)
    )
    value = session.execute(stmt).scalar()
    if value is None:  # first use: create the row (a concurrent first use waits on it), then count
        dialect_insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        session.execute(dialect_insert(table).values(lg_code=lg_code, name=name, value=0).on_conflict_do_nothing())
        value = session.execute(stmt).scalar_one()
    return int(value)
