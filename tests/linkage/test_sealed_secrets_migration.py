"""Revision 0720: webhook secrets stored in the clear by earlier versions are sealed in place, for every
municipality, and opened again on downgrade (run as the database superuser here)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic import command
from sqlalchemy import create_engine, text

from lgcloud.db.migrate import alembic_config, upgrade
from lgcloud.linkage.signing import new_secret
from lgcloud.linkage.subscriptions import signing_secret

PG_ADMIN_DSN = os.environ.get("LGCLOUD_TEST_PG", "postgresql://postgres@localhost:5432/postgres")
BEFORE = "0710_outbox_notify"
CLEAR = {("131016", 1): new_secret(), ("182079", 1): new_secret(), ("182079", 2): new_secret()}


@pytest.fixture(params=["sqlite", "postgresql"])
def owner_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    request.getfixturevalue("pg_urls")  # the server is up (started if need be)
    name = f"lgcloud_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@localhost:5432/{name}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _stored(owner_url: str) -> dict[tuple[str, int], str]:
    engine = create_engine(owner_url)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET row_security = off"))  # as the superuser: every municipality
        rows = conn.execute(text("SELECT lg_code, sub_id, secret FROM linkage_subscriptions")).all()
    engine.dispose()
    return {(lg, sub): secret for lg, sub, secret in rows}


def test_clear_secrets_are_sealed_on_upgrade_and_opened_on_downgrade(owner_url: str) -> None:
    upgrade(owner_url, BEFORE)
    engine = create_engine(owner_url)
    with engine.begin() as conn:
        for (lg, sub), secret in CLEAR.items():
            conn.execute(
                text(
                    "INSERT INTO linkage_subscriptions (lg_code, sub_id, name, url, secret, event_types, active, "
                    "cursor, created_at, created_by) VALUES (:lg, :sub, '国保', 'https://example.lg.jp/', :secret, "
                    "'[]', true, 0, CURRENT_TIMESTAMP, 'admin')"
                ),
                {"lg": lg, "sub": sub, "secret": secret},
            )
    engine.dispose()
    upgrade(owner_url)
    sealed = _stored(owner_url)
    assert all(v.startswith("sealed:v1:") for v in sealed.values()) and len(sealed) == len(CLEAR)
    assert {key: signing_secret(key[0], value) for key, value in sealed.items()} == CLEAR
    upgrade(owner_url)  # nothing left to seal: a rerun changes nothing
    assert _stored(owner_url) == sealed
    command.downgrade(alembic_config(owner_url), BEFORE)
    assert _stored(owner_url) == CLEAR
