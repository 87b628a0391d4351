"""Shared fixtures: a migrated database on SQLite *and* PostgreSQL, tenants, logged-in clients, a live server.

DB tests take ``database`` (parametrised over both backends; an empty, migrated schema for each
test). PostgreSQL: the local server (trust auth, user postgres) gets a throwaway database per test
session, dropped at the end; the application connects as the non-owner role ``lgcloud_app`` so
row-level security is really in force. If no server answers, the machine's cluster is started.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import text

from lgcloud.config import Settings
from lgcloud.db import Database
from lgcloud.db.migrate import upgrade
from lgcloud.db.models import load_all_models
from lgcloud.tenancy import passwords

PG_ADMIN_DSN = os.environ.get("LGCLOUD_TEST_PG", "postgresql://postgres@localhost:5432/postgres")
TEST_PASSWORD = "test-password-123"
TENANT_A, TENANT_B = "182079", "182095"  # 鯖江市, 越前市 (real codes; no real residents)
ROLES = ("admin", "clerk", "supervisor", "auditor")


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> None:
    """Real argon2, with test-sized cost: the default costs ~50 ms per hash."""
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_answers() -> bool:
    try:
        psycopg.connect(PG_ADMIN_DSN, connect_timeout=3).close()
        return True
    except psycopg.OperationalError:
        return False


def _start_local_cluster() -> None:
    """Start the machine's PostgreSQL cluster from its installed binaries (never skip the suite)."""
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions or shutil.which("pg_ctlcluster") is None:
        pytest.fail("PostgreSQL is not reachable and no local cluster is installed")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"], check=False)
    for _ in range(30):
        if _pg_answers():
            return
        time.sleep(1)
    pytest.fail("PostgreSQL did not start")


@pytest.fixture(scope="session")
def pg_urls() -> Iterator[tuple[str, str]]:
    """(owner URL, app URL) of a throwaway database, migrated once."""
    if not _pg_answers():
        _start_local_cluster()
    name = f"lgcloud_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    owner = f"postgresql+psycopg://postgres@localhost:5432/{name}"
    app = f"postgresql+psycopg://lgcloud_app@localhost:5432/{name}"
    upgrade(owner)
    yield owner, app
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate_all(owner_url: str) -> None:
    tables = [t.name for t in load_all_models().sorted_tables]
    owner = Database(owner_url)
    with owner.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    owner.dispose()


# --- SQLite -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


# --- the fixture DB tests use -------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "lgcloud.sqlite3"
        shutil.copy(template, path)
        db = Database(f"sqlite:///{path}")
    else:
        owner, app = request.getfixturevalue("pg_urls")
        _truncate_all(owner)
        db = Database(app, owner)
    yield db
    db.dispose()


@pytest.fixture
def pg_database(pg_urls: tuple[str, str]) -> Iterator[Database]:
    """PostgreSQL only, for what SQLite cannot have: roles, grants, row-level security."""
    owner, app = pg_urls
    _truncate_all(owner)
    db = Database(app, owner)
    yield db
    db.dispose()


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database.owner_url,
        app_database_url=str(database.engine.url.render_as_string(hide_password=False)),
        secret_key="test-secret-key-0123456789",
        data_dir=tmp_path / "data",
    )


# --- tenants and clients ------------------------------------------------------------------------


@dataclass(frozen=True)
class Tenants:
    a: str
    b: str
    group: str = "test-group"

    def username(self, role: str, lg_code: str | None = None) -> str:
        return "operator" if role == "operator" else f"{role}-{lg_code or self.a}"


@pytest.fixture
def tenants(database: Database) -> Tenants:
    """Two member municipalities of one cloud group, a user of every role in each, and an operator."""
    return seed_tenants(database)


@pytest.fixture
def pg_tenants(pg_database: Database) -> Tenants:
    return seed_tenants(pg_database)


def seed_tenants(database: Database) -> Tenants:
    from lgcloud.demo import DEMO_PASSWORD  # noqa: F401  (demo module must import cleanly)
    from lgcloud.tenancy import services
    from lgcloud.tenancy.models import PLATFORM_CHAIN

    with database.session(PLATFORM_CHAIN) as session:
        services.create_group(session, code="test-group", name="テスト共同クラウド")
        services.add_user(
            session, username="operator", password=TEST_PASSWORD, role="operator", group_code="test-group"
        )
    for lg_code in (TENANT_A, TENANT_B):
        with database.session(lg_code) as session:
            services.add_municipality(session, group_code="test-group", lg_code=lg_code)
            for role in ROLES:
                services.add_user(
                    session,
                    username=f"{role}-{lg_code}",
                    password=TEST_PASSWORD,
                    role=role,
                    lg_code=lg_code,
                    display_name=f"テスト {role}",
                )
    return Tenants(TENANT_A, TENANT_B)


@pytest.fixture
def municipality(tenants: Tenants) -> str:
    return tenants.a


@pytest.fixture
def app(settings: Settings, database: Database):  # type: ignore[no-untyped-def]
    from lgcloud.web.app import create_app

    return create_app(settings, database)


class LoggedInClient(TestClient):
    csrf_token: str = ""


def login(app, username: str, password: str = TEST_PASSWORD) -> LoggedInClient:  # type: ignore[no-untyped-def]
    client = LoggedInClient(app, raise_server_exceptions=False)
    response = client.post("/login", data={"username": username, "password": password}, follow_redirects=False)
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    marker = 'name="csrf_token" value="'
    if marker in page.text:
        start = page.text.index(marker) + len(marker)
        client.csrf_token = page.text[start : page.text.index('"', start)]
        client.headers["X-CSRF-Token"] = client.csrf_token
    return client


@pytest.fixture
def client(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def login_as(app, tenants: Tenants):  # type: ignore[no-untyped-def]
    """``login_as("clerk")`` (municipality A), ``login_as("clerk", tenants.b)``, ``login_as("operator")``."""

    def _login(role: str, lg_code: str | None = None) -> LoggedInClient:
        return login(app, tenants.username(role, lg_code))

    return _login


@pytest.fixture
def clerk_client(login_as) -> LoggedInClient:  # type: ignore[no-untyped-def]
    return login_as("clerk")


# --- a real server for browser tests ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(app, tenants: Tenants) -> Iterator[str]:  # type: ignore[no-untyped-def]
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()
