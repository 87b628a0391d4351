"""Validation reports: JSON, CSV, xlsx and a readable Japanese HTML page. No error limit.

Every file has the same content: totals, per-file totals, counts per rule, and one row per error
(file, line, record, byte offset, item, rule, value, message); values of sensitive items (個人番号) are
already masked by the validator. 外字 that were mapped are listed with their provenance in ``gaiji.csv``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
from typing import Any

import polars as pl

from lgcloud.layout.validator import RULE_TITLES, ValidationResult

XLSX_MAX_ROWS = 1_048_575  # one sheet's rows below the header; further errors go to more sheets
COLUMNS_JA = {"file": "ファイル", "line": "行", "record": "レコード番号", "byte_offset": "バイト位置", "item": "項目",
              "rule": "規則", "rule_title": "規則の内容", "value": "値", "message": "内容"}


def summary(result: ValidationResult) -> dict[str, Any]:
    """The report header: totals, files, rule counts (JSON-ready)."""
    counts = result.rule_counts()
    return {
        "layout": result.layout,
        "dialect": {k: getattr(result.dialect, k) for k in ("format", "encoding", "header", "date_style")},
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "valid": result.valid,
        "seconds": round(result.seconds, 3),
        "totals": {
            "files": len(result.files),
            "records": result.records,
            "records_with_errors": sum(f.records_with_errors for f in result.files),
            "valid_records": sum(f.valid_records for f in result.files),
            "errors": result.errors.height,
            "gaiji_mapped": result.gaiji.height,
        },
        "files": [{"file": f.file, "spec": f.spec, "path": f.path, "records": f.records, "bytes": f.bytes,
                   "records_with_errors": f.records_with_errors, "valid_records": f.valid_records,
                   "errors": f.errors} for f in result.files],
        "rules": [{"rule": r, "title": RULE_TITLES.get(r, r), "count": n} for r, n in counts.items()],
        "warnings": result.warnings,
    }


def to_json(result: ValidationResult) -> str:
    data = summary(result)
    data["errors"] = result.errors.to_dicts()
    data["gaiji"] = _gaiji_summary(result)
    return json.dumps(data, ensure_ascii=False, indent=2)


def _gaiji_summary(result: ValidationResult) -> list[dict[str, Any]]:
    if result.gaiji.height == 0:
        return []
    agg = result.gaiji.group_by("codepoint", "vendor_code", "mapped_to").agg(
        pl.len().alias("count"), pl.col("line").min().alias("first_line"), pl.col("file").first().alias("file"))
    return agg.sort("codepoint").to_dicts()


def write_reports(result: ValidationResult, out: str | Path) -> dict[str, Path]:
    """Write report.json, errors.csv, gaiji.csv, report.xlsx and report.html into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "report.json", "csv": out / "errors.csv", "gaiji": out / "gaiji.csv",
             "xlsx": out / "report.xlsx", "html": out / "report.html"}
    paths["json"].write_text(to_json(result), encoding="utf-8")
    result.errors.write_csv(paths["csv"])
    paths["csv"].write_bytes(b"\xef\xbb\xbf" + paths["csv"].read_bytes())  # BOM: Excel opens UTF-8 CSV right
    result.gaiji.write_csv(paths["gaiji"])
    write_xlsx(result, paths["xlsx"])
    paths["html"].write_text(to_html(result), encoding="utf-8")
    return paths


def write_xlsx(result: ValidationResult, path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    info = summary(result)
    sheet = book.create_sheet("概要")
    for key, value in info["totals"].items():
        sheet.append([key, value])
    sheet.append([])
    sheet.append(["規則", "内容", "件数"])
    for r in info["rules"]:
        sheet.append([r["rule"], r["title"], r["count"]])
    sheet.append([])
    sheet.append(["ファイル", "レコード", "エラーのあるレコード", "エラー件数"])
    for f in info["files"]:
        sheet.append([f["file"], f["records"], f["records_with_errors"], f["errors"]])
    append_frame(book, "エラー", result.errors)
    sheet = book.create_sheet("外字")
    sheet.append(["符号位置", "ベンダーコード", "対応先", "件数", "最初の行", "ファイル"])
    for g in _gaiji_summary(result):
        sheet.append([g["codepoint"], g["vendor_code"], g["mapped_to"], g["count"], g["first_line"], g["file"]])
    book.save(path)


def append_frame(book: Any, title: str, frame: pl.DataFrame) -> None:
    """``frame`` as sheets of an openpyxl write-only workbook, headers in Japanese (:data:`COLUMNS_JA`): one
    sheet, or ``title``, ``title2`` … when it has more rows than a sheet holds. Nothing is left out."""
    for start in range(0, max(frame.height, 1), XLSX_MAX_ROWS):
        sheet = book.create_sheet(title if start == 0 else f"{title}{start // XLSX_MAX_ROWS + 1}")
        sheet.append([COLUMNS_JA.get(c, c) for c in frame.columns])
        for row in frame.slice(start, XLSX_MAX_ROWS).iter_rows():
            sheet.append([_xlsx_safe(v) for v in row])


def _xlsx_safe(value: Any) -> Any:
    """openpyxl refuses control characters; show them as \\xNN so the value stays recognisable."""
    if isinstance(value, str):
        return "".join(ch if ch >= " " or ch in "\t" else f"\\x{ord(ch):02X}" for ch in value)
    return value


_CSS = """
body{font-family:"Noto Sans JP","Hiragino Sans","Yu Gothic",sans-serif;margin:2rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#176117;font-weight:bold}.ng{color:#a11;font-weight:bold}code{background:#f6f6f6;padding:0 .2rem}
"""


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{v:,}</td>' if isinstance(v, int) else f"<td>{_cell(v)}</td>" for v in r)
        + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    if value is None:
        return "<i>(空)</i>"
    text = str(value)
    shown = "".join(ch if ch >= " " else f"\\x{ord(ch):02X}" for ch in text)
    return f"<code>{html.escape(shown)}</code>" if shown != text or "\ufffd" in text else html.escape(shown)


def to_html(result: ValidationResult) -> str:
    info = summary(result)
    t = info["totals"]
    verdict = ('<p class="ok">エラーはありません。すべてのレコードを取り込めます。</p>' if result.valid else
               f'<p class="ng">{t["errors"]:,} 件のエラーがあります'
               f'(エラーのあるレコード {t["records_with_errors"]:,} 件)。</p>')
    parts = [
        "<!doctype html><html lang='ja'><head><meta charset='utf-8'>",
        f"<title>移行データ検証結果 ({html.escape(result.layout)})</title><style>{_CSS}</style></head><body>",
        f"<h1>移行データ検証結果 — レイアウト「{html.escape(result.layout)}」</h1>", verdict,
        f"<p>文字コード {html.escape(result.dialect.encoding)} / 形式 {html.escape(result.dialect.format)} / "
        f"日付 {html.escape(result.dialect.date_style)} / 検証時間 {info['seconds']} 秒</p>",
        "<h2>集計</h2>",
        _table(["ファイル", "レコード数", "エラーのあるレコード", "正常なレコード", "エラー件数"],
               [[f["file"], f["records"], f["records_with_errors"], f["valid_records"], f["errors"]]
                for f in info["files"]]),
        "<h2>規則ごとの件数</h2>",
        _table(["規則", "内容", "件数"], [[r["rule"], r["title"], r["count"]] for r in info["rules"]])
        if info["rules"] else "<p>なし</p>",
    ]
    if result.warnings:
        parts.append("<h2>注意</h2><ul>" + "".join(f"<li>{html.escape(w)}</li>" for w in result.warnings) + "</ul>")
    gaiji = _gaiji_summary(result)
    if gaiji:
        parts += ["<h2>対応表で変換された外字</h2>",
                  _table(["符号位置", "ベンダーコード", "対応先", "件数", "最初の行"],
                         [[g["codepoint"], g["vendor_code"], g["mapped_to"], g["count"], g["first_line"]]
                          for g in gaiji])]
    parts.append(f"<h2>エラー一覧({result.errors.height:,} 件)</h2>")
    parts.append(_table([COLUMNS_JA[c] for c in result.errors.columns],
                        [list(r) for r in result.errors.iter_rows()]))
    parts.append("</body></html>")
    return "\n".join(parts)
