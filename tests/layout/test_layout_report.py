"""Reports (JSON, CSV, xlsx, HTML) carry every error; the committed juki.md matches the YAML."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from layout_mini import GOOD, num, row, validate_text
from openpyxl import load_workbook

from lgcloud.layout import Layout, load_layout
from lgcloud.layout.docgen import render_markdown
from lgcloud.layout.report import to_html, write_reports

ROOT = Path(__file__).resolve().parents[2]


def test_all_report_formats(mini: Layout, tmp_path: Path) -> None:
    lines = [GOOD] + [row(番号=num(i), 性別="9") for i in range(2, 40)] + [row(番号="123456789019")]
    result = validate_text(mini, tmp_path, lines)
    paths = write_reports(result, tmp_path / "report")
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["totals"]["errors"] == 39 == len(data["errors"])
    assert {r["rule"]: r["count"] for r in data["rules"]} == {"code": 38, "check-digit": 1}
    csv = pl.read_csv(paths["csv"], encoding="utf8-lossy")
    assert csv.height == 39 and "************" in csv["value"].to_list()
    book = load_workbook(paths["xlsx"], read_only=True)
    assert book.sheetnames[:2] == ["概要", "エラー"]
    assert sum(1 for _ in book["エラー"].iter_rows()) == 40  # header + every error
    page = paths["html"].read_text(encoding="utf-8")
    assert "移行データ検証結果" in page and page.count("<tr>") >= 39 + 2
    assert "123456789019" not in page + paths["json"].read_text(encoding="utf-8")


def test_html_says_valid(mini: Layout, tmp_path: Path) -> None:
    assert "エラーはありません" in to_html(validate_text(mini, tmp_path, [GOOD]))


def test_committed_juki_doc_is_current() -> None:
    committed = (ROOT / "docs" / "layouts" / "juki.md").read_text(encoding="utf-8")
    assert committed == render_markdown(load_layout("juki")), (
        "docs/layouts/juki.md is stale: run `lgcloud migrate layout-doc juki --out docs/layouts/juki.md`")
