"""The `lgcloud analytics` commands against a migrated database (SQLite and PostgreSQL)."""

from pathlib import Path

import pytest
from openpyxl import load_workbook
from rich.console import Console
from typer.testing import CliRunner

from lgcloud.analytics.cli import app
from lgcloud.config import Settings

runner = CliRunner()


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("lgcloud.config.get_settings", lambda: settings)
    monkeypatch.setattr("lgcloud.analytics.cli.console", Console(width=250))

    def invoke(*args: str) -> str:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def test_aggregates_without_any_data(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("status", "--date", "2018-06-15")
    assert "1,741" in out and "404" in out and "本田" in out
    assert "1,166" in cli("target-years", "--date", "2018-06-15")
    assert "一致しない（想定どおり）" in cli("checks", "--date", "2018-06-15")
    assert "h30-04-status" in cli("aggregates")
    assert "未確認" in cli("trend")


def test_import_views_exports_and_charts(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("load-demo")
    by_band = cli("status", "--by", "band")
    assert "2万人未満" in by_band and "Japanese nationals" in by_band
    assert "北海道" in cli("status", "--by", "prefecture")
    out = tmp_path / "plans.xlsx"
    cli("plans", "--out", str(out))
    rows = list(load_workbook(out)["表"].iter_rows(values_only=True))
    assert rows[-1] == ("計", 1337, 100.0)
    csv_out = tmp_path / "pref.csv"
    cli("table", "status-by-prefecture", "--out", str(csv_out), "--encoding", "cp932")
    assert csv_out.read_bytes().decode("cp932").startswith("都道府県,")
    svg = tmp_path / "band.svg"
    assert "系列 3" in cli("chart", "status-by-band", "--out", str(svg))
    assert svg.stat().st_size > 0
    assert "自治体クラウド 円/人" in cli("cost")
    assert "1,741" in cli("snapshots")
    assert "1741 団体分を削除しました" in cli("delete-snapshot", "--date", "2018-06-15", "--yes")
    assert "2018-06-15" not in cli("snapshots")


def test_import_rejects_with_row_numbers(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("lgcloud.config.get_settings", lambda: settings)
    monkeypatch.setattr("lgcloud.analytics.cli.console", Console(width=250))
    bad = tmp_path / "bad.csv"
    bad.write_text("団体コード,導入状況,基準日\n011003,単独クラウド,2018-06-15\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(bad)])
    assert result.exit_code == 2
    assert "2行目 lg_code「011003」: 検査数字が誤っています" in result.output
    assert "何も登録していません" in result.output


def test_apportion_and_what_if(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = cli(
        "apportion",
        "--total",
        "1000000",
        "--weights",
        "equal=30,population=70",
        "--member",
        "182079",
        "--member",
        "182095",
    )
    assert "1,000,000" in out and "鯖江市" in out
    what_if = cli("apportion", "--total", "1000000", "--member", "182079", "--member", "182095", "--join", "182010")
    assert "福井市が参加した場合" in what_if


def test_measure_usage_then_apportion_by_usage(cli, tenants) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    year = str(datetime.now(UTC).year)
    out = cli("measure-usage", "--period", year)
    assert "鯖江市" in out and "越前市" in out
    shares = cli(
        "apportion", "--total", "999", "--weights", "usage=1", "--usage-period", year, "--usage-metric", "audit-events"
    )
    assert "999" in shares and "利用量割" in shares
