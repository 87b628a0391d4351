"""``lgcloud moji`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lgcloud.config import Settings
from lgcloud.db import Database
from lgcloud.moji import cli, service

runner = CliRunner()
LINES = "0001,髙橋太郎,東京都千代田区\r\n0002,{pua}山花子,神奈川県\r\n0003,\ufa19田,埼玉\r\n"


@pytest.fixture
def cp932_file(tmp_path: Path) -> Path:
    path = tmp_path / "jumin.csv"
    head, tail = LINES.split("{pua}")
    path.write_bytes(head.encode("cp932") + b"\xf0\x40" + tail.encode("cp932"))  # F040 = user-defined 外字
    return path


def test_build_index_is_idempotent() -> None:
    result = runner.invoke(cli.app, ["build-index"])
    assert result.exit_code == 0 and "作成済み" in result.output


def test_show_json() -> None:
    result = runner.invoke(cli.app, ["show", "J+AD1D", "\ufa19", "--json"])
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.output)
    assert first["record"]["mj"] == "MJ000001" and first["record"]["glyph"] == "々"
    assert second["record"]["mj"] == "MJ030211"


def test_show_table_and_unknown() -> None:
    result = runner.invoke(cli.app, ["show", "髙"])
    assert result.exit_code == 0 and "MJ028902" in result.output and "高" in result.output
    assert runner.invoke(cli.app, ["show", "MJ999999"]).exit_code == 1


def test_scan_reports_positions(cp932_file: Path) -> None:
    result = runner.invoke(cli.app, ["scan", str(cp932_file), "--encoding", "cp932", "--json"])
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.output)
    by_char = {c["char"]: c for c in report["chars"]}
    assert by_char["\ue000"]["class"] == "pua"
    assert by_char["\ue000"]["positions"][0] == {"offset": 24, "line": 2, "column": 6}
    assert by_char["髙"]["class"] == "mj" and by_char["\ufa19"]["mj"] == "MJ030211"
    assert report["counts"]["pua"] == 1


def test_scan_undecodable_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"abc\xff")
    result = runner.invoke(cli.app, ["scan", str(path), "--encoding", "utf-8"])
    assert result.exit_code == 1


def test_scan_with_tenant_mapping(
    cp932_file: Path, database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    lg_code = "182079"
    csv_text = "source_system,source_kind,source_code,mj_code,status\nA社,cp932,F040,MJ028902,confirmed\n"
    with database.session(lg_code) as session:
        service.import_csv(session, lg_code, csv_text, actor="admin")
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    result = runner.invoke(cli.app, ["scan", str(cp932_file), "--encoding", "cp932", "--tenant", lg_code, "--json"])
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.output)
    pua = next(c for c in report["chars"] if c["class"] == "pua")
    assert pua["mapped"] == {"source_system": "A社", "glyph": "髙"}


def test_suggest_command() -> None:
    result = runner.invoke(cli.app, ["suggest", "--ids", "⿰山奇", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)[0]["mj"] == "MJ010541"


def test_degrade_and_key_commands() -> None:
    ok = runner.invoke(cli.app, ["degrade", "髙橋 𠮷野"])
    assert ok.exit_code == 0 and "高橋 吉野" in ok.output
    failed = runner.invoke(cli.app, ["degrade", "﨔"])
    assert failed.exit_code == 1 and "縮退先なし" in failed.output
    assert runner.invoke(cli.app, ["degrade", "﨔", "--to", "jisx0213"]).exit_code == 0
    assert "渡辺" in runner.invoke(cli.app, ["key", "渡邉"]).output
