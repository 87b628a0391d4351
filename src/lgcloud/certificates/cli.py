"""``lgcloud certificates``: verify a paper copy (``verify --tenant 182079 LGC1-…``), list the 交付履歴."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lgcloud.certificates import services
from lgcloud.config import get_settings
from lgcloud.db import Database

app = typer.Typer(help="証明書（交付履歴・照合）", no_args_is_help=True)
console = Console()
Tenant = Annotated[str, typer.Option("--tenant", help="全国地方公共団体コード")]
User = Annotated[str, typer.Option("--user", help="監査ログに記録する操作者")]


def _database() -> Database:
    return Database.from_settings(get_settings())


@app.command()
def verify(code: str, lg_code: Tenant, user: User = "cli") -> None:
    """紙の証明書の照合番号（QRコードの内容）を照合します。"""
    with _database().session(lg_code) as session:
        result = services.verify(session, lg_code, code, services.Staff(user), secret=get_settings().secret_key)
    style = "green" if result.valid else "red"
    console.print(f"[{style}]{result.message}[/{style}]")
    if result.record:
        record = result.record
        console.print(
            f"{record.label} ・ {record.pages}枚 ・ {record.issued_at:%Y-%m-%d %H:%M} ・ {'、'.join(result.names)}"
        )
    raise typer.Exit(0 if result.valid else 1)


@app.command("history")
def history(lg_code: Tenant, atena_no: str | None = None, limit: int = 20, user: User = "cli") -> None:
    """交付履歴を表示します（住所は表示しません）。"""
    with _database().session(lg_code) as session:
        found = services.list_issues(session, lg_code, atena_no=atena_no, limit=limit)
        from lgcloud.tenancy.audit import record_audit

        record_audit(
            session,
            lg_code=lg_code,
            actor=user,
            action="certificate:history",
            target=atena_no,
            detail={"count": len(found)},
        )
    table = Table("発行番号", "種類", "交付日時", "職員", "枚数", "対象者", "処分")
    for c in found:
        disposed = c.disposed["reason"] if c.disposed else ""
        table.add_row(
            c.issue_no,
            c.label,
            f"{c.issued_at:%Y-%m-%d %H:%M}",
            c.issued_by,
            str(c.pages),
            ", ".join(c.subjects),
            disposed,
        )
    console.print(table)


if __name__ == "__main__":
    app()
