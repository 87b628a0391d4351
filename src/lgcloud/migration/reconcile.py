"""Reconciliation report (照合レポート): per input file, input records = loaded + quarantined, with checksums.

``report.json`` (machine) and ``report.html`` (people) go into the job's directory when the job ends;
``report.xlsx`` (the same summary and every quarantined record's reasons, for Excel) is written there on its
first download (:func:`xlsx_report`: openpyxl writes ~7,000 rows/s, which an import should not wait for when
nobody asks). The summary stored on the job row holds counts and checksums only — never record contents — so
an operator may read it.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import polars as pl

from lgcloud.layout import RULE_TITLES, Dialect
from lgcloud.layout.report import append_frame
from lgcloud.migration.jobs import Job, write_once

CASCADE_TITLES = {
    "other-municipality": "他団体のデータ",
    "already-registered": "登録済みの宛名番号",
    "person-incomplete": "同じ人の他の行が隔離",
    "person-rejected": "住民ファイルの行が隔離",
    "household-incomplete": "同じ世帯の人が隔離",
    "file-header": "見出し行の不一致(ファイル全体)",
}


#: Every rule's Japanese title: the validator's and the import's own (cascade) rules.
TITLES = RULE_TITLES | CASCADE_TITLES


def rule_title(rule: str) -> str:
    return TITLES.get(rule, rule)


def summarise(job: Job, files: list[dict[str, Any]]) -> dict[str, Any]:
    rows = []
    for f in files:
        records, loaded, quarantined = int(f.get("records", 0)), int(f.get("loaded", 0)), int(f.get("quarantined", 0))
        rows.append({"name": f["name"], "spec": f["spec"], "bytes": f["bytes"], "sha256": f["sha256"],
                     "records": records, "loaded": loaded, "quarantined": quarantined,
                     "balanced": records == loaded + quarantined,
                     "quarantine_sha256": f.get("quarantine_sha256"), "rule_counts": f.get("rule_counts", {})})
    person_loaded = sum(r["loaded"] for r in rows if r["spec"] == "person")
    return {
        "job_id": job.job_id, "lg_code": job.lg_code, "layout": job.layout,
        "files": rows,
        "records": sum(r["records"] for r in rows), "loaded": sum(r["loaded"] for r in rows),
        "quarantined": sum(r["quarantined"] for r in rows),
        "history_rows_merged": job.loaded, "person_rows_staged": person_loaded,
        "balanced": all(r["balanced"] for r in rows) and job.loaded == person_loaded,
    }


def write_report(job: Job, files: list[dict[str, Any]], dialect: Dialect) -> dict[str, Any]:
    summary = summarise(job, files)
    job.work_dir.mkdir(parents=True, exist_ok=True)
    report = {**summary, "dialect": {k: v for k, v in dialect.__dict__.items() if k != "description"},
              "quarantine": {f["name"]: {"file": f.get("quarantine"), "reasons": f.get("reasons")} for f in files}}
    (job.work_dir / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    (job.work_dir / "report.html").write_text(render_html(summary), encoding="utf-8")
    return summary


def xlsx_report(job: Job) -> Path | None:
    """The job's ``report.xlsx``, written now if it is not there yet; None before the job has a report."""
    path = job.work_dir / "report.xlsx"
    if not path.is_file() and (not job.summary or not job.summary.get("files")):
        return None
    return write_once(path, lambda partial: write_xlsx(job.summary, job.files, partial))


def write_xlsx(summary: dict[str, Any], files: list[dict[str, Any]], path: Path) -> None:
    """概要 (per file: input = loaded + quarantined, checksums; counts per rule) and 隔離理由 (every reason of
    every file, as in the quarantine's ``.reasons.csv``)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("概要")
    sheet.append(["照合", "一致" if summary["balanced"] else "不一致"])
    sheet.append(["入力", summary["records"]])
    sheet.append(["取込", summary["loaded"]])
    sheet.append(["隔離", summary["quarantined"]])
    sheet.append([])
    sheet.append(["ファイル", "種類", "入力", "取込", "隔離", "照合", "入力 SHA-256", "隔離ファイル SHA-256"])
    for f in summary["files"]:
        sheet.append([f["name"], f["spec"], f["records"], f["loaded"], f["quarantined"],
                      "一致" if f["balanced"] else "不一致", f["sha256"], f.get("quarantine_sha256") or ""])
    sheet.append([])
    sheet.append(["ファイル", "規則", "規則の内容", "件数"])
    for f in summary["files"]:
        for rule, count in f["rule_counts"].items():
            sheet.append([f["name"], rule, rule_title(rule), count])
    reasons = [
        pl.read_csv(f["reasons"], infer_schema=False).select(
            pl.lit(f["name"]).alias("file"), pl.col("line").cast(pl.Int64), pl.col("byte_offset").cast(pl.Int64),
            "item", "rule", pl.col("rule").replace_strict(TITLES, default=pl.col("rule"))
            .alias("rule_title"), "value", "message")
        for f in files if f.get("reasons") and Path(f["reasons"]).is_file()
    ]
    append_frame(book, "隔離理由", pl.concat(reasons) if reasons else pl.DataFrame())
    book.save(path)


def render_html(summary: dict[str, Any]) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(f['name'])}</td><td>{e(f['spec'])}</td><td class=n>{f['records']:,}</td>"
        f"<td class=n>{f['loaded']:,}</td><td class=n>{f['quarantined']:,}</td>"
        f"<td>{'一致' if f['balanced'] else '<b>不一致</b>'}</td><td><code>{e(f['sha256'])}</code></td>"
        f"<td><code>{e(f.get('quarantine_sha256') or '')}</code></td></tr>" for f in summary["files"])
    rules = "".join(
        f"<tr><td>{e(f['name'])}</td><td>{e(rule)}</td><td>{e(rule_title(rule))}</td><td class=n>{n:,}</td></tr>"
        for f in summary["files"] for rule, n in f["rule_counts"].items())
    verdict = "照合一致: 入力レコード数 = 取込件数 + 隔離件数" if summary["balanced"] else "照合不一致"
    job = e(summary["job_id"])
    return f"""<!doctype html><html lang="ja"><head><meta charset="utf-8">
<title>移行照合レポート {job}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;
padding:.2em .5em}}.n{{text-align:right}}code{{font-size:.8em}}</style></head><body>
<h1>移行照合レポート</h1>
<p>ジョブ {job} / 団体 {e(summary['lg_code'])} / レイアウト {e(summary['layout'])}</p>
<p><strong>{verdict}</strong>(入力 {summary['records']:,} 件、取込 {summary['loaded']:,} 件、
隔離 {summary['quarantined']:,} 件。住民記録に反映した履歴行 {summary['history_rows_merged']:,} 行)</p>
<h2>ファイル別</h2><table><tr><th>ファイル</th><th>種類</th><th>入力</th><th>取込</th><th>隔離</th><th>照合</th>
<th>入力 SHA-256</th><th>隔離ファイル SHA-256</th></tr>{rows}</table>
<h2>隔離理由(規則別件数)</h2><table><tr><th>ファイル</th><th>規則</th><th>内容</th><th>件数</th></tr>{rules}</table>
<p>隔離されたレコードは元のバイト列のまま隔離ファイルに、理由は同名の .reasons.csv にあります。
修正して再度取り込めます。</p>
</body></html>"""
