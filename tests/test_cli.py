"""The ``lgcloud`` command against a real database (SQLite and PostgreSQL)."""

import pytest
from typer.testing import CliRunner

from lgcloud.cli import app
from lgcloud.config import get_settings
from lgcloud.db import Database

runner = CliRunner()


@pytest.fixture
def cli_env(database: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("LGCLOUD_DATABASE_URL", database.owner_url)
    monkeypatch.setenv("LGCLOUD_APP_DATABASE_URL", database.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield database
    get_settings.cache_clear()


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def test_onboarding_from_the_command_line(cli_env: Database) -> None:
    assert run("group", "create", "fukui", "ふくいクラウド").exit_code == 0
    assert run("municipality", "add", "fukui", "182079").exit_code == 0
    listing = run("municipality", "list")
    assert "鯖江市" in listing.output
    result = run("user", "add", "clerk1", "--role", "clerk", "--tenant", "182079", "--password", "long-password-1")
    assert result.exit_code == 0, result.output
    assert "clerk1" in run("user", "list").output
    token = run("token", "create", "--tenant", "182079", "--name", "税務", "--scope", "resident:read")
    assert token.exit_code == 0
    token_id = token.output.strip().splitlines()[-1].split("_")[2]
    assert run("token", "revoke", token_id, "--tenant", "182079").exit_code == 0
    verify = run("audit", "verify", "--tenant", "182079")
    assert verify.exit_code == 0 and "正常" in verify.output


def test_bad_municipality_code_is_a_clear_error(cli_env: Database) -> None:
    run("group", "create", "fukui", "ふくいクラウド")
    with pytest.raises(Exception, match="検査数字"):
        run("municipality", "add", "fukui", "182078")


def test_every_command_has_help() -> None:
    for args in (
        ["--help"],
        ["db", "--help"],
        ["group", "create", "--help"],
        ["municipality", "add", "--help"],
        ["user", "add", "--help"],
        ["token", "create", "--help"],
        ["audit", "verify", "--help"],
        ["demo", "--help"],
        ["serve", "--help"],
    ):
        result = run(*args)
        assert result.exit_code == 0 and "Usage" in result.output, args
