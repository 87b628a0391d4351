"""``lgcloud linkage``: files, schedule, subscriptions, one worker tick, the catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from linkage_helpers import Clerk
from typer.testing import CliRunner

from lgcloud.config import get_settings
from lgcloud.db import Database
from lgcloud.linkage.cli import app

runner = CliRunner()


@pytest.fixture
def cli_env(database: Database, tenants, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LGCLOUD_DATABASE_URL", database.owner_url)
    monkeypatch.setenv("LGCLOUD_APP_DATABASE_URL", database.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LGCLOUD_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield database
    get_settings.cache_clear()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_files_schedule_and_worker_from_the_command_line(cli_env: Database, clerk: Clerk, tmp_path: Path) -> None:
    assert "新しいイベントはありません" in run("files", "--tenant", clerk.lg_code).output
    clerk.move_in(others=1)
    diff = run("files", "--tenant", clerk.lg_code, "--out", str(tmp_path / "out"))
    assert diff.exit_code == 0 and "diff 0..2: 2 行" in diff.output
    full = run("files", "--tenant", clerk.lg_code, "--full", "--out", str(tmp_path / "out"))
    assert "full 0..2: 2 行" in full.output
    assert len(list((tmp_path / "out" / clerk.lg_code).glob("*/manifest.json"))) == 2
    assert "5 分ごと" in run("schedule", "--tenant", clerk.lg_code, "--every", "5").output
    with pytest.raises(Exception, match="1〜10分"):
        run("schedule", "--tenant", clerk.lg_code, "--every", "15")
    assert run("worker", "--once").exit_code == 0
    assert "連携システム" in run("subscriptions", "--tenant", clerk.lg_code).output


def test_catalogue_lists_every_type() -> None:
    output = run("catalogue").output
    assert "jp.lgcloud.residents.tennyu" in output and "転出確定" in output
