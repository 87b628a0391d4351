"""``lgcloud protection``: alerts for the 支援措置責任者, a person's state, pending reviews (no addresses)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lgcloud.config import get_settings
from lgcloud.db import Database
from lgcloud.protection import services
from lgcloud.tenancy.audit import record_audit

app = typer.Typer(help="抑止・支援措置（アラート・状態・審査依頼）", no_args_is_help=True)
console = Console()
Tenant = Annotated[str, typer.Option("--tenant", help="全国地方公共団体コード")]
User = Annotated[str, typer.Option("--user", help="監査ログに記録する操作者")]


def _database() -> Database:
    return Database.from_settings(get_settings())


@app.command()
def alerts(lg_code: Tenant, user: User = "cli") -> None:
    """期間満了間近・満了の支援措置と、終了日を過ぎた抑止を表示します。"""
    from lgcloud.residents.services import today_jst

    with _database().session(lg_code) as session:
        found = services.alerts(session, lg_code, today_jst())
        record_audit(
            session, lg_code=lg_code, actor=user, action="protection:alerts:read", detail={"count": len(found)}
        )
    for alert in found:
        console.print(f"[yellow]{alert.kind}[/yellow] {alert.message}")
    if not found:
        console.print("アラートはありません")


@app.command()
def state(atena_no: str, lg_code: Tenant, user: User = "cli") -> None:
    """住民の抑止・支援措置の状態（他システムへ伝える内容を含む）を表示します。"""
    with _database().session(lg_code) as session:
        found = services.is_protected(session, lg_code, atena_no)
        record_audit(session, lg_code=lg_code, actor=user, action="protection:state:read", target=atena_no)
    console.print(found.label or "抑止・支援措置はありません")
    console.print(f"他システムへ: {found.linkage_flags()}")


@app.command()
def requests(lg_code: Tenant, status: str | None = "pending", user: User = "cli") -> None:
    """審査依頼（証明書発行・住所表示）を表示します。"""
    with _database().session(lg_code) as session:
        found = services.list_requests(session, lg_code, status)
        record_audit(
            session, lg_code=lg_code, actor=user, action="protection:requests:read", detail={"count": len(found)}
        )
    table = Table("番号", "処理", "対象", "目的", "依頼者", "状態")
    for r in found:
        table.add_row(
            str(r.request_id),
            r.process,
            ", ".join(r.persons),
            r.purpose,
            r.requested_by,
            services.STATUS_LABELS.get(r.status, r.status),
        )
    console.print(table)


if __name__ == "__main__":
    app()
