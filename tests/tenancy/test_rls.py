"""Row-level security on PostgreSQL: raw SQL as the application role sees only its tenant."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from lgcloud.db import Database
from lgcloud.db.models import load_all_models
from lgcloud.tenancy import services


def _tenant_tables() -> list[str]:
    return [
        t.name
        for t in load_all_models().sorted_tables
        if "lg_code" in t.c
        and t.name != "tenancy_municipalities"
        and t.name not in {"tenancy_users", "tenancy_group_memberships"}
    ]


def test_every_tenant_table_has_forced_rls(pg_database: Database) -> None:
    owner = Database(pg_database.owner_url)
    with owner.engine.connect() as conn:
        rows = dict(
            conn.execute(
                text(
                    "SELECT relname, relrowsecurity AND relforcerowsecurity FROM pg_class WHERE relkind = 'r'"
                )
            ).all()
        )
    owner.dispose()
    missing = [t for t in _tenant_tables() if not rows.get(t)]
    assert missing == []


def test_app_role_is_not_the_owner(pg_database: Database) -> None:
    with pg_database.session("182079") as session:
        user = session.execute(text("SELECT current_user")).scalar_one()
        owner = session.execute(
            text("SELECT tableowner FROM pg_tables WHERE tablename = 'tenancy_audit_log'")
        ).scalar_one()
        bypass = session.execute(
            text("SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = current_user")
        ).scalar_one()
    assert user == "lgcloud_app" and owner != user and bypass is False


def test_raw_sql_sees_only_the_tenant_in_context(pg_database: Database, pg_tenants) -> None:  # type: ignore[no-untyped-def]
    tenants = pg_tenants
    for lg_code in (tenants.a, tenants.b):
        with pg_database.session(lg_code) as session:
            services.create_token(session, lg_code=lg_code, name="x", scopes=["resident:read"])
    for table in ("tenancy_audit_log", "tenancy_api_tokens", "tenancy_audit_heads"):
        with pg_database.session(tenants.a) as session:
            codes = set(session.execute(text(f"SELECT DISTINCT lg_code FROM {table}")).scalars())
        assert codes == {tenants.a}, table
        with pg_database.session() as session:  # no tenant context: nothing at all
            assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table


def test_writing_another_tenants_row_is_refused(pg_database: Database, pg_tenants) -> None:  # type: ignore[no-untyped-def]
    tenants = pg_tenants
    with (
        pytest.raises(ProgrammingError, match="row-level security"),
        pg_database.session(tenants.a) as session,
    ):
        session.execute(
            text(
                "INSERT INTO tenancy_api_tokens (lg_code, token_id, name, scopes, secret_hash, created_by, created_at, "
                "expires_at) VALUES (:b, 'x', 'x', '[]', 'x', 'x', now(), now())"
            ),
            {"b": tenants.b},
        )
