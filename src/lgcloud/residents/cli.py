"""``lgcloud residents``: the 住民票コード pool (``code-pool load --tenant 182079 codes.txt``, ``code-pool status``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lgcloud.config import get_settings
from lgcloud.db import Database
from lgcloud.residents import code_pool

app = typer.Typer(help="住民記録", no_args_is_help=True)
pool_app = typer.Typer(help="住民票コードの払出し用プール (CS から一括取得したコード)", no_args_is_help=True)
app.add_typer(pool_app, name="code-pool")
console = Console()
Tenant = Annotated[str, typer.Option("--tenant", help="全国地方公共団体コード")]
User = Annotated[str, typer.Option("--user", help="監査ログに記録する操作者")]


def _database() -> Database:
    return Database.from_settings(get_settings())


@pool_app.command("load")
def load(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="1行に1つの住民票コード (ASCII)")],
    lg_code: Tenant,
    user: User = "cli",
) -> None:
    """CS から取得した住民票コードをプールに追加します (検査数字の誤りは追加せず一覧表示)。"""
    lines = file.read_text(encoding="ascii", errors="replace").splitlines()
    with _database().session(lg_code) as session:
        report = code_pool.load(session, lg_code, lines, user)
        pool = code_pool.status(session, lg_code)
    console.print(
        f"追加 {report.added:,} 件 ・ 登録済みのため省略 {report.already:,} 件 ・ 誤り {len(report.invalid):,} 件"
    )
    if report.invalid:
        table = Table("行", "値", "理由")
        for line, code, reason in report.invalid:
            table.add_row(str(line), code, reason)
        console.print(table)
    _print_status(pool)
    raise typer.Exit(1 if report.invalid else 0)


@pool_app.command("status")
def status(lg_code: Tenant) -> None:
    """プールに残っている住民票コードの数 (少なくなると警告)。"""
    with _database().session(lg_code) as session:
        pool = code_pool.status(session, lg_code)
    _print_status(pool)
    raise typer.Exit(1 if pool.low else 0)


def _print_status(pool: code_pool.PoolStatus) -> None:
    style = "red" if pool.low else "green"
    console.print(f"[{style}]未使用 {pool.available:,} 件[/{style}] ・ 払出し済み {pool.assigned:,} 件")
    if pool.low:
        console.print(
            f"[red]残りが {code_pool.LOW_WATERMARK} 件未満です。CS から住民票コードを取得して追加してください。[/red]"
        )
