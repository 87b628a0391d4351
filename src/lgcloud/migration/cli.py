"""`lgcloud migrate …`: check standard migration files before anything touches the database.

``validate`` needs no database. ``import`` and ``export`` (database-backed, resumable jobs) are added next
to it and reuse :func:`lgcloud.migration.files.resolve_inputs` and the layout validator.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from lgcloud.errors import LgcloudError
from lgcloud.layout import load_gaiji_csv, load_layout, resolve_dialect
from lgcloud.layout.report import summary, to_json, write_reports
from lgcloud.layout.validator import RULE_TITLES, ValidationResult, Validator
from lgcloud.migration.files import resolve_inputs

app = typer.Typer(help="データ移行 (中間標準レイアウト): 検証・取込・出力", no_args_is_help=True)
console = Console(stderr=True)


@app.command()
def validate(
    files: Annotated[list[str], typer.Argument(help="移行ファイル。PATH または 名前=PATH (例 person=KOJIN.CSV)")],
    layout: Annotated[str, typer.Option(help="レイアウト名 (組込み: juki) または YAML のパス")] = "juki",
    dialect: Annotated[str | None, typer.Option(help="方言名 (レイアウトの dialects) または YAML のパス")] = None,
    encoding: Annotated[str | None, typer.Option(help="文字コードの上書き (utf-8, utf-8-sig, cp932, …)")] = None,
    date_style: Annotated[str | None, typer.Option(help="日付形式の上書き (seireki, wareki1, wareki2 …)")] = None,
    gaiji_map: Annotated[Path | None, typer.Option(help="外字対応表 CSV (moji の取込形式など)")] = None,
    source_system: Annotated[str | None, typer.Option(help="外字対応表の移行元システム名で絞り込み")] = None,
    remainder_one: Annotated[str, typer.Option(help="宛名番号の余り1の扱い: zero | skip")] = "zero",
    report: Annotated[Path | None, typer.Option(help="報告書 (JSON/CSV/xlsx/HTML) を書き出すディレクトリ")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON の報告書を標準出力へ")] = False,
) -> None:
    """移行ファイルをレイアウトの全規則で検証します (データベース不要)。エラーがあれば終了コード 1。"""
    try:
        result = _run(files, layout, dialect, encoding, date_style, gaiji_map, source_system, remainder_one,
                      progress=not as_json)
    except LgcloudError as exc:
        console.print(f"[red]エラー:[/red] {exc.message}")
        raise typer.Exit(2) from exc
    if report:
        paths = write_reports(result, report)
        console.print(f"報告書: {', '.join(str(p) for p in paths.values())}")
    if as_json:
        typer.echo(to_json(result))
    else:
        _print_summary(result)
    raise typer.Exit(0 if result.valid else 1)


def _run(files: list[str], layout_name: str, dialect_name: str | None, encoding: str | None,
         date_style: str | None, gaiji_map: Path | None, source_system: str | None, remainder_one: str, *,
         progress: bool) -> ValidationResult:
    layout = load_layout(layout_name)
    dialect = resolve_dialect(layout.dialects, dialect_name, encoding=encoding, date_style=date_style)
    inputs = resolve_inputs(layout, files)
    mapping = load_gaiji_csv(gaiji_map, source_system) if gaiji_map else {}
    if remainder_one not in ("zero", "skip"):
        raise LgcloudError("--remainder-one は zero か skip です", code="usage")
    validator = Validator(layout, dialect, mapping, remainder_one_policy=remainder_one)
    total = sum(path.stat().st_size for _spec, path in inputs)
    with Progress(TextColumn("検証中"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                  console=console, disable=not progress, transient=True) as bar:
        task = bar.add_task("validate", total=total)
        return validator.validate(inputs, progress=lambda n: bar.advance(task, n))


def _print_summary(result: ValidationResult, shown: int = 20) -> None:
    out = Console()
    info = summary(result)
    files = Table(title=f"検証結果 — {result.layout} ({result.dialect.encoding}, {result.seconds:.1f} 秒)")
    for col in ("ファイル", "レコード", "エラーのあるレコード", "エラー件数"):
        files.add_column(col, justify="right" if col != "ファイル" else "left")
    for f in info["files"]:
        files.add_row(f["file"], f"{f['records']:,}", f"{f['records_with_errors']:,}", f"{f['errors']:,}")
    out.print(files)
    if info["rules"]:
        rules = Table(title="規則ごとの件数")
        for col in ("規則", "内容", "件数"):
            rules.add_column(col)
        for r in info["rules"]:
            rules.add_row(r["rule"], RULE_TITLES.get(r["rule"], r["rule"]), f"{r['count']:,}")
        out.print(rules)
        errors = Table(title=f"エラー (先頭 {min(shown, result.errors.height)} 件 / 全 {result.errors.height:,} 件)")
        for col in ("ファイル", "行", "項目", "規則", "値", "内容"):
            errors.add_column(col, overflow="fold")
        for row in result.errors.head(shown).iter_rows(named=True):
            value = json.dumps(row["value"], ensure_ascii=False)[:80] if row["value"] is not None else "(空)"
            errors.add_row(escape(row["file"]), str(row["line"]), escape(row["item"] or ""), row["rule"],
                           escape(value), escape(row["message"]))
        out.print(errors)
    else:
        out.print("[green]エラーはありません。[/green]")
    for w in result.warnings:
        out.print(f"[yellow]注意:[/yellow] {w}")


@app.command("layout-doc")
def layout_doc(
    layout: Annotated[str, typer.Argument(help="レイアウト名または YAML のパス")] = "juki",
    out: Annotated[Path | None, typer.Option(help="書き出す Markdown (省略時は標準出力)")] = None,
) -> None:
    """レイアウト定義 (YAML) から項目一覧の Markdown を作ります (docs/layouts/<名前>.md)。"""
    from lgcloud.layout.docgen import render_markdown

    try:
        text = render_markdown(load_layout(layout))
    except LgcloudError as exc:
        console.print(f"[red]エラー:[/red] {exc.message}")
        raise typer.Exit(2) from exc
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        console.print(f"書き出しました: {out}")
    else:
        typer.echo(text, nl=False)


@app.command("layout-schema")
def layout_schema() -> None:
    """レイアウト YAML の JSON Schema を出力します (エディタの補完・検証用)。"""
    from lgcloud.layout.schema import LAYOUT_SCHEMA

    typer.echo(json.dumps(LAYOUT_SCHEMA, ensure_ascii=False, indent=2))

from lgcloud.migration.io_cli import register  # noqa: E402

register(app)
