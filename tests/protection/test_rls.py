"""PostgreSQL: protection and certificate rows are per tenant (RLS) and their history is append-only."""

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from lgcloud.db import Database
from lgcloud.protection import domain, services
from lgcloud.protection.domain import Level, Process, Scope

APPEND_ONLY = (
    "protection_suppressions",
    "protection_events",
    "protection_support_revisions",
    "protection_support_subjects",
    "certificates_issues",
    "certificates_issue_subjects",
    "certificates_disposals",
)


def _seed(db: Database, lg_code: str) -> None:
    actor = services.Actor(f"supervisor-{lg_code}")
    with db.session(lg_code) as session:
        services.set_suppression(
            session,
            lg_code,
            actor,
            scope=Scope.PERSON,
            target="A1",
            process=Process.INQUIRY,
            level=Level.ERROR,
            start_on=date(2025, 1, 1),
        )
        measure = domain.apply(domain.Party(name="支援　花子", atena_no="A1"), date(2025, 6, 1))
        services.register_measure(session, lg_code, actor, measure, today=date(2025, 6, 30))


def test_each_tenant_sees_only_its_own_protection(pg_database: Database, pg_tenants) -> None:  # type: ignore[no-untyped-def]
    _seed(pg_database, pg_tenants.a)
    with pg_database.session(pg_tenants.b) as session:
        assert not services.is_protected(session, pg_tenants.b, "A1").protected
        assert session.execute(text("SELECT count(*) FROM protection_suppressions")).scalar_one() == 0
    with pg_database.session(pg_tenants.a) as session:
        assert services.is_protected(session, pg_tenants.a, "A1").support_target


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_history_cannot_be_changed_by_the_application(pg_database: Database, pg_tenants, table: str) -> None:  # type: ignore[no-untyped-def]
    _seed(pg_database, pg_tenants.a)
    for statement in (f"UPDATE {table} SET lg_code = lg_code", f"DELETE FROM {table}"):
        with pytest.raises(ProgrammingError, match="permission denied"), pg_database.session(pg_tenants.a) as session:
            session.execute(text(statement))
