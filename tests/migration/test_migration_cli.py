"""`lgcloud migrate validate`, `lgcloud migrate layout-doc` and `lgcloud demo-data generate`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lgcloud.migration import cli, demo_data_cli

runner = CliRunner()


def test_demo_data_then_validate(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    res = runner.invoke(demo_data_cli.app, ["--out", str(out), "--rows", "600", "--errors", "0.03",
                                            "--gaiji", "0.1", "--seed", "5"])
    assert res.exit_code == 0, res.output
    files = [str(out / n) for n in ("person.csv", "foreign.csv", "household.csv")]
    res = runner.invoke(cli.app, ["validate", *files, "--gaiji-map", str(out / "gaiji_mapping.csv"),
                                  "--report", str(tmp_path / "rep"), "--json"])
    assert res.exit_code == 1, res.output
    data = json.loads(res.stdout)
    manifest = (out / "manifest.csv").read_text(encoding="utf-8").splitlines()
    assert data["totals"]["errors"] == len(manifest) - 1
    assert {p.name for p in (tmp_path / "rep").iterdir()} == {"report.json", "errors.csv", "gaiji.csv",
                                                             "report.xlsx", "report.html"}


def test_clean_files_exit_zero_and_print_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "clean"
    assert runner.invoke(demo_data_cli.app, ["--out", str(out), "--rows", "300", "--encoding", "utf-8"]).exit_code == 0
    res = runner.invoke(cli.app, ["validate", f"person={out / 'person.csv'}", str(out / "household.csv"),
                                  str(out / "foreign.csv"), "--encoding", "utf-8"])
    assert res.exit_code == 0, res.output
    assert "エラーはありません" in res.output


def test_usage_errors_exit_two(tmp_path: Path) -> None:
    (tmp_path / "unknown.csv").write_text("x\n")
    res = runner.invoke(cli.app, ["validate", str(tmp_path / "unknown.csv")])
    assert res.exit_code == 2 and "ファイル名=パス" in res.output
    res = runner.invoke(cli.app, ["validate", "person=/nonexistent.csv"])
    assert res.exit_code == 2
    res = runner.invoke(cli.app, ["validate", "--layout", "nosuch", "x.csv"])
    assert res.exit_code == 2


def test_layout_doc_prints_markdown() -> None:
    res = runner.invoke(cli.app, ["layout-doc", "juki"])
    assert res.exit_code == 0 and res.stdout.startswith("# 住民基本台帳")


def test_layout_schema_is_json_schema() -> None:
    import jsonschema

    res = runner.invoke(cli.app, ["layout-schema"])
    assert res.exit_code == 0
    jsonschema.Draft202012Validator.check_schema(json.loads(res.stdout))


def test_demo_data_refuses_an_invalid_municipality_code(tmp_path: Path) -> None:
    res = runner.invoke(demo_data_cli.app, ["--out", str(tmp_path / "x"), "--rows", "10", "--lg-code", "182078"])
    assert res.exit_code == 2 and "182078" in res.output
    assert not (tmp_path / "x").exists()
