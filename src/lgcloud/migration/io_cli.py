"""``lgcloud migrate import | export | jobs``: registered on the ``migrate`` command by :func:`register`.

Also runnable on its own (``python -m lgcloud.migration.io_cli import …``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from lgcloud.config import get_settings
from lgcloud.db import Database
from lgcloud.errors import LgcloudError
from lgcloud.migration import jobs

console = Console()
err = Console(stderr=True)

Tenant = Annotated[str, typer.Option("--tenant", help="全国地方公共団体コード(6桁)")]
LayoutOpt = Annotated[str, typer.Option("--layout", help="レイアウト(組込み名またはYAMLのパス)")]
DialectOpt = Annotated[str | None, typer.Option("--dialect", help="方言(レイアウトの dialects の名前またはYAML)")]
EncodingOpt = Annotated[str | None, typer.Option("--encoding", help="文字コード(方言の指定を上書き)")]


def _db() -> Database:
    return Database.from_settings(get_settings())


def _work_root() -> Path:
    return get_settings().data_dir / "migration"


def _progress_bar(job: jobs.Job) -> tuple[Progress, jobs.ProgressCallback]:
    progress = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                        console=err, transient=False)
    task = progress.add_task(f"{job.job_id} {job.phase_title}", total=100)

    def update(current: jobs.Job) -> None:
        progress.update(task, completed=current.percent,
                        description=f"{current.job_id} {current.phase_title} "
                                    f"(取込 {current.loaded:,} / 隔離 {current.quarantined:,})")

    return progress, update


def import_command(
    files: Annotated[list[Path], typer.Argument(help="移行ファイル(住民・外国人・世帯)")],
    tenant: Tenant,
    layout: LayoutOpt = "juki",
    dialect: DialectOpt = None,
    encoding: EncodingOpt = None,
    source_system: Annotated[str | None, typer.Option(help="外字対応表の移行元システム名(moji の対応表)")] = None,
    gaiji_map: Annotated[Path | None, typer.Option(help="外字対応表CSV(char/ucs/vendor_code と mj_code)")] = None,
    batch_size: Annotated[int, typer.Option(help="1トランザクションで反映する履歴行数")] = 50_000,
    work_dir: Annotated[Path | None, typer.Option(help="隔離ファイル・レポートの置き場所")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="結果を JSON で出力")] = False,
) -> None:
    """移行ファイルを検証し、不正レコードを隔離し、正しいレコードを住民記録に取り込みます(中断後の再実行で続きから)。"""
    from lgcloud.migration import importer

    db = _db()
    try:
        req = importer.ImportRequest(tenant, files, work_dir or _work_root(), layout=layout, dialect=dialect,
                                     encoding=encoding, source_system=source_system, gaiji_csv=gaiji_map,
                                     batch_size=batch_size)
        job = importer.prepare(db, req)
        progress, update = _progress_bar(job)
        with progress:
            job = jobs.run_job(db, tenant, job.job_id, None if as_json else update)
            update(job)
    except LgcloudError as exc:
        err.print(f"[red]エラー[/red]: {exc.message}")
        raise typer.Exit(2) from exc
    _print_job(job, as_json)
    _audit(db, tenant, "migration:import", job)
    if job.state != "done":
        raise typer.Exit(1)


def export_command(
    tenant: Tenant,
    out: Annotated[Path, typer.Option("--out", help="出力先ディレクトリ")],
    layout: LayoutOpt = "juki",
    dialect: DialectOpt = None,
    encoding: EncodingOpt = None,
    since: Annotated[int | None, typer.Option("--since", help="差分: この異動番号(カーソル)より後の変更だけ")] = None,
    unencodable: Annotated[str, typer.Option(help="表せない文字: error|degrade(縮退)|vendor(外字コード)")] = "error",
    source_system: Annotated[str | None, typer.Option(help="vendor のときの外字対応表の移行元システム名")] = None,
) -> None:
    """住民記録の全件(全履歴・除票を含む)または差分をレイアウトどおりのファイルに出力します。"""
    from lgcloud.migration import exporter

    db = _db()
    progress = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                        console=err, transient=False)
    task = progress.add_task("出力 (住民)", total=None)

    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total, description=f"出力 (住民 {done:,} / {total:,} 人)")

    try:
        with progress:
            result = exporter.export(db, exporter.ExportRequest(
                tenant, out, layout=layout, dialect=dialect, encoding=encoding, since=since, unencodable=unencodable,
                source_system=source_system), progress=update)
    except LgcloudError as exc:
        err.print(f"[red]エラー[/red]: {exc.message}")
        raise typer.Exit(2) from exc
    table = Table("ファイル", "件数", "SHA-256", title=f"出力 {'差分' if since is not None else '全件'} → {out}")
    for name, path in result.files.items():
        table.add_row(path.name, f"{result.counts[name]:,}", result.sha256[name])
    console.print(table)
    console.print(f"次回の差分カーソル: [bold]{result.cursor}[/bold]  (--since {result.cursor})")
    if result.degraded:
        console.print(f"縮退・外字コード置換 {result.degraded} 文字: {result.degraded_file}")
    with db.session(tenant) as session:
        from lgcloud.tenancy.audit import record_audit

        record_audit(session, lg_code=tenant, actor="cli", action="migration:export", target=str(out),
                     detail={"counts": result.counts, "since": since, "cursor": result.cursor})


def jobs_command(
    tenant: Tenant,
    job: Annotated[str | None, typer.Option("--job", help="ジョブID(省略時は一覧)")] = None,
    resume: Annotated[bool, typer.Option(help="失敗・中断したジョブを続きから実行")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力")] = False,
) -> None:
    """移行ジョブの一覧・状態(件数と照合結果のみ。レコードの内容は表示しません)。"""
    db = _db()
    try:
        if job and resume:
            found = jobs.run_job(db, tenant, job)
            _print_job(found, as_json)
            return
        with db.session(tenant) as session:
            items = [jobs.get(session, tenant, job)] if job else jobs.list_jobs(session, tenant)
    except LgcloudError as exc:
        err.print(f"[red]エラー[/red]: {exc.message}")
        raise typer.Exit(2) from exc
    if as_json:
        console.print_json(json.dumps([j.public() for j in items], ensure_ascii=False))
        return
    table = Table("ジョブ", "種類", "状態", "段階", "進捗", "入力", "取込", "隔離", "作成")
    for j in items:
        table.add_row(j.job_id, j.kind, j.state_title, j.phase_title, f"{j.percent:.0f}%", f"{j.records_total:,}",
                      f"{j.loaded:,}", f"{j.quarantined:,}", j.created_at.strftime("%Y-%m-%d %H:%M") if j.created_at
                      else "")
    console.print(table)


def _print_job(job: jobs.Job, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps({**job.public(), "summary": job.summary, "work_dir": str(job.work_dir)},
                                      ensure_ascii=False))
        return
    table = Table("ファイル", "入力", "取込", "隔離", "照合", title=f"ジョブ {job.job_id}: {job.state_title}")
    for f in job.summary.get("files", []):
        table.add_row(f["name"], f"{f['records']:,}", f"{f['loaded']:,}", f"{f['quarantined']:,}",
                      "一致" if f["balanced"] else "[red]不一致[/red]")
    console.print(table)
    if job.error:
        console.print(f"[red]{job.error}[/red]")
    console.print(f"レポート: {job.work_dir / 'report.html'}  隔離ファイル: {job.work_dir / 'quarantine'}")


def _audit(db: Database, lg_code: str, action: str, job: jobs.Job) -> None:
    from lgcloud.tenancy.audit import record_audit

    with db.session(lg_code) as session:
        record_audit(session, lg_code=lg_code, actor=job.actor, action=action, target=job.job_id,
                     outcome="ok" if job.state == "done" else "failed",
                     detail={"records": job.records_total, "loaded": job.loaded, "quarantined": job.quarantined})


def register(app: typer.Typer) -> None:
    """Add ``import``, ``export`` and ``jobs`` to the ``migrate`` command group."""
    app.command("import")(import_command)
    app.command("export")(export_command)
    app.command("jobs")(jobs_command)


def main() -> None:
    app = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False)
    register(app)
    app()


if __name__ == "__main__":
    main()
