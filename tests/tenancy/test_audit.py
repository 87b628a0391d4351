"""Every kind of tampering with the audit log is detected by `audit verify`."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from lgcloud.db import Database
from lgcloud.tenancy.audit import record_audit, verify_chain

LG = "182079"


def _write_entries(database: Database, count: int) -> None:
    with database.session(LG) as session:
        for i in range(count):
            record_audit(
                session,
                lg_code=LG,
                actor="clerk",
                action="resident.read",
                target=f"{i:08d}",
                detail={"氏名": "𠮷田 葛\U000e0102"},
            )


def _tamper(database: Database, sql: str) -> None:
    """Tamper as the database owner would: the application role itself cannot (see the grant test)."""
    owner = Database(database.owner_url)
    with owner.engine.begin() as conn:
        conn.execute(text(sql))
    owner.dispose()


def _verify(database: Database):  # type: ignore[no-untyped-def]
    with database.session(LG) as session:
        return verify_chain(session, LG)


def test_intact_chain_verifies(database: Database) -> None:
    _write_entries(database, 5)
    report = _verify(database)
    assert report.ok and report.entries == 5


@pytest.mark.parametrize(
    ("sql", "broken_seq"),
    [
        ("UPDATE tenancy_audit_log SET actor = 'someone-else' WHERE seq = 3", 3),
        ("UPDATE tenancy_audit_log SET detail = '{}' WHERE seq = 2", 2),
        ("DELETE FROM tenancy_audit_log WHERE seq = 3", 4),
        ("DELETE FROM tenancy_audit_log WHERE seq = 5", 5),
        # reorder: swap the contents of entries 2 and 3 by renumbering them
        (
            "UPDATE tenancy_audit_log SET seq = 0 WHERE seq = 2; UPDATE tenancy_audit_log SET seq = 2 WHERE seq = 3; "
            "UPDATE tenancy_audit_log SET seq = 3 WHERE seq = 0",
            2,
        ),
        # insert: a forged entry copying entry 3's hash links, shifting the later ones
        (
            "UPDATE tenancy_audit_log SET seq = seq + 100 WHERE seq >= 3; "
            "UPDATE tenancy_audit_log SET seq = seq - 99 WHERE seq >= 103; "
            "INSERT INTO tenancy_audit_log (lg_code, seq, occurred_at, actor, source_ip, action, target, outcome, "
            "detail, prev_hash, entry_hash) SELECT lg_code, 3, occurred_at, 'forger', source_ip, action, target, "
            "outcome, detail, prev_hash, CASE WHEN entry_hash LIKE 'f%' THEN 'e' ELSE 'f' END || substr(entry_hash, 2) "
            "FROM tenancy_audit_log WHERE seq = 4",
            3,
        ),
    ],
    ids=["edit-actor", "edit-detail", "delete-middle", "delete-last", "reorder", "insert"],
)
def test_tampering_is_detected(database: Database, sql: str, broken_seq: int) -> None:
    _write_entries(database, 5)
    for statement in sql.split("; "):
        _tamper(database, statement)
    report = _verify(database)
    assert not report.ok
    assert report.broken_seq == broken_seq


def test_app_role_cannot_change_or_delete_audit_entries(pg_database: Database) -> None:
    """PostgreSQL only: SQLite has no roles or grants."""
    _write_entries(pg_database, 1)
    for sql in ("UPDATE tenancy_audit_log SET actor = 'x'", "DELETE FROM tenancy_audit_log"):
        with pytest.raises(ProgrammingError, match="permission denied"), pg_database.session(LG) as session:
            session.execute(text(sql))


def test_entries_keep_exact_characters(database: Database) -> None:
    _write_entries(database, 1)
    with database.session(LG) as session:
        detail = session.execute(text("SELECT detail FROM tenancy_audit_log")).scalar_one()
    assert "𠮷田 葛\U000e0102" in detail
