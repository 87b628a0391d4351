"""Migration helpers for PostgreSQL row-level security and grants (no-ops on SQLite).

Use them from Alembic revisions::

    from lgcloud.db.rls import secure_tenant_tables
    secure_tenant_tables(read_write=("residents_current",), append_only=("residents_history",))
"""

from __future__ import annotations

from collections.abc import Iterable

from alembic import op

from lgcloud.config import get_settings

TENANT_PREDICATE = "lg_code = current_setting('lgcloud.lg_code', true)"


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def app_role() -> str:
    return get_settings().app_role


def enable_tenant_rls(table: str) -> None:
    """RLS enabled *and forced*, one policy keyed on the transaction's tenant."""
    if not _is_postgresql():
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})")


def grant_read_write(table: str) -> None:
    if _is_postgresql():
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {app_role()}")


def grant_append_only(table: str) -> None:
    """History and audit tables: the application may add rows, never change or remove them."""
    if _is_postgresql():
        op.execute(f"GRANT SELECT, INSERT ON {table} TO {app_role()}")


def grant_read_only(table: str) -> None:
    if _is_postgresql():
        op.execute(f"GRANT SELECT ON {table} TO {app_role()}")


def grant_sequences() -> None:
    if _is_postgresql():
        op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app_role()}")


def create_app_role() -> None:
    if not _is_postgresql():
        return
    role = app_role()
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
        f"THEN CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS; END IF; END $$"
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")


def secure_tenant_tables(*, read_write: Iterable[str] = (), append_only: Iterable[str] = ()) -> None:
    """The usual end of a revision: every tenant table gets forced RLS and its grants, then sequences.

    ``append_only`` is for history and audit tables: the application may add rows, never change them.
    """
    for table in read_write:
        enable_tenant_rls(table)
        grant_read_write(table)
    for table in append_only:
        enable_tenant_rls(table)
        grant_append_only(table)
    grant_sequences()
