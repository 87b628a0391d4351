from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from lgcloud.config import Settings, get_settings

#: Written into ``lgcloud.lg_code`` when no tenant is in context: matches no row.
NO_TENANT = ""


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # WAL + NORMAL: a crash may lose the last commits but never corrupts the file; one fsync per checkpoint.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


class Database:
    """The application's engine plus the owner engine used for migrations.

    ``session(lg_code)`` opens one transaction bound to one tenant. On PostgreSQL the tenant is
    written with ``set_config('lgcloud.lg_code', …, true)`` at the start of every transaction, so
    row-level security sees it even if a caller forgets its own ``WHERE lg_code = …``.
    """

    def __init__(self, app_url: str, owner_url: str | None = None) -> None:
        self.engine = make_engine(app_url)
        self.owner_url = owner_url or app_url
        self.is_postgresql = self.engine.dialect.name == "postgresql"
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        if self.is_postgresql:
            event.listen(self._factory, "after_begin", _set_tenant_context)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(settings.effective_app_database_url, settings.database_url)

    @contextmanager
    def session(self, lg_code: str | None = None) -> Iterator[Session]:
        """One transaction for one tenant (or none: platform tables only). Commits on success."""
        with self._factory() as session:
            session.info["lg_code"] = lg_code or NO_TENANT
            with session.begin():
                yield session

    def dispose(self) -> None:
        self.engine.dispose()


_SET_TENANT = text("SELECT set_config('lgcloud.lg_code', :code, true)")


def _set_tenant_context(session: Session, _transaction, connection) -> None:  # type: ignore[no-untyped-def]
    connection.execute(_SET_TENANT, {"code": session.info.get("lg_code", NO_TENANT)})


@lru_cache
def get_database() -> Database:
    return Database.from_settings(get_settings())


def reset_database() -> None:
    """Forget the cached Database (tests switch backends)."""
    if get_database.cache_info().currsize:
        get_database().dispose()
    get_database.cache_clear()


def use_tenant(session: Session, lg_code: str) -> None:
    """Switch the open transaction to another tenant context (administrative flows only).

    Login looks a user up before it knows their municipality, and operator actions write to the
    platform chain and then a municipality's; each switch is explicit so it can be reviewed.
    """
    session.info["lg_code"] = lg_code
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT set_config('lgcloud.lg_code', :code, true)"), {"code": lg_code})


def tenant_of(session: Session) -> str:
    return str(session.info.get("lg_code", NO_TENANT))
