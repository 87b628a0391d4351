"""`lgcloud codes …` through typer's CliRunner on the package's own `app`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from lgcloud.codes.cli import app

runner = CliRunner()


def test_check_all_ok_exits_0() -> None:
    result = runner.invoke(app, ["check", "lgcode", "131041", "011002"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["131041\tok", "011002\tok"]


def test_check_reports_bad_values_with_reason_and_exits_1() -> None:
    result = runner.invoke(app, ["check", "lgcode", "131041", "131042", "13104"])
    assert result.exit_code == 1
    lines = [line.split("\t") for line in result.output.splitlines()]
    assert lines[0] == ["131041", "ok"]
    assert lines[1][:2] == ["131042", "bad"] and "1" in lines[1][2]
    assert lines[2][:2] == ["13104", "bad"] and "6桁" in lines[2][2]


def test_check_reads_stdin_with_dash() -> None:
    result = runner.invoke(app, ["check", "mynumber", "-"], input="123456789018\n\n023456789013\r\n123456789019\n")
    assert result.exit_code == 1
    assert [line.split("\t")[:2] for line in result.output.splitlines()] == [
        ["123456789018", "ok"],
        ["023456789013", "ok"],
        ["123456789019", "bad"],
    ]


def test_check_juminhyo_and_atena_policy() -> None:
    assert runner.invoke(app, ["check", "juminhyo", "12345678903"]).exit_code == 0
    # body 000005: 5×2 = 10 → remainder 10 → 11 − 10 = 1
    assert runner.invoke(app, ["check", "atena", "0000051"]).exit_code == 0
    # body 000006: 6×2 = 12 → remainder 1 → 0 under "zero", unassignable under "skip"
    assert runner.invoke(app, ["check", "atena", "0000060"]).exit_code == 0
    skip = runner.invoke(app, ["check", "atena", "--remainder-one", "skip", "0000060"])
    assert skip.exit_code == 1 and "欠番" in skip.output


def test_check_unknown_kind_is_a_usage_error() -> None:
    assert runner.invoke(app, ["check", "passport", "1"]).exit_code == 2


def test_date_lines() -> None:
    result = runner.invoke(app, ["date", "R05.03.01", "令和2年頃", "年月日不詳", "令和5年2月30日"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "R05.03.01\texact\t令和5年3月1日\t2023-03-01",
        "令和2年頃\tunknown\t令和2年頃\t2020-01-01",
        "年月日不詳\tunknown\t年月日不詳\t-",
        "令和5年2月30日\tnon_calendar\t令和5年2月30日\t2023-02-28",
    ]


def test_date_json_and_bad_input() -> None:
    result = runner.invoke(app, ["date", "--json", "5050301", "令和0年1月1日"])
    assert result.exit_code == 1
    records = json.loads(result.output)
    assert records[0] == {
        "input": "5050301",
        "ok": True,
        "raw": "5050301",
        "kind": "exact",
        "iso": "2023-03-01",
        "wareki": "令和5年3月1日",
        "seireki": "2023年3月1日",
    }
    assert records[1]["ok"] is False and "令和0年" in records[1]["error"]


def test_date_reads_stdin() -> None:
    result = runner.invoke(app, ["date", "-"], input="平成31年4月30日\n")
    assert result.output == "平成31年4月30日\texact\t平成31年4月30日\t2019-04-30\n"


def test_table_and_kana_commands() -> None:
    table = runner.invoke(app, ["table", "続柄"])
    assert table.exit_code == 0 and "02\t世帯主" in table.output and table.output.startswith("# 続柄")
    assert runner.invoke(app, ["table", "nope"]).exit_code == 2
    kana = runner.invoke(app, ["kana", "ｻﾄｳ ﾀﾛｳ"])
    assert kana.output == "ｻﾄｳ ﾀﾛｳ\tサトタロ\n"


def test_help_is_available() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "check" in result.output and "date" in result.output
