"""The ``lgcloud`` command: serve, demo, database, tenancy administration, and each capability's tools."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lgcloud.config import get_settings
from lgcloud.db import Database
from lgcloud.db.migrate import upgrade
from lgcloud.errors import LgcloudError
from lgcloud.tenancy import audit, services
from lgcloud.tenancy.models import PLATFORM_CHAIN

app = typer.Typer(
    help="lgcloud — オープンソースの自治体クラウド (住民記録・データ移行・文字・連携)",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="データベースの管理", no_args_is_help=True)
group_app = typer.Typer(help="クラウドグループ", no_args_is_help=True)
municipality_app = typer.Typer(help="構成団体 (市区町村)", no_args_is_help=True)
user_app = typer.Typer(help="利用者", no_args_is_help=True)
token_app = typer.Typer(help="連携システム用 API トークン", no_args_is_help=True)
audit_app = typer.Typer(help="監査ログ", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (group_app, "group"),
    (municipality_app, "municipality"),
    (user_app, "user"),
    (token_app, "token"),
    (audit_app, "audit"),
):
    app.add_typer(sub, name=name)

#: Capabilities that bring their own sub-commands: (command name, module with ``app``).
CAPABILITY_COMMANDS = (
    ("codes", "lgcloud.codes.cli"),
    ("moji", "lgcloud.moji.cli"),
    ("migrate", "lgcloud.migration.cli"),
    ("demo-data", "lgcloud.migration.demo_data_cli"),
    ("residents", "lgcloud.residents.cli"),
    ("linkage", "lgcloud.linkage.cli"),
    ("certificates", "lgcloud.certificates.cli"),
    ("protection", "lgcloud.protection.cli"),
    ("analytics", "lgcloud.analytics.cli"),
)
for command, module_name in CAPABILITY_COMMANDS:
    if importlib.util.find_spec(module_name) is not None:
        app.add_typer(importlib.import_module(module_name).app, name=command)

console = Console()
err_console = Console(stderr=True)


def database() -> Database:
    return Database.from_settings(get_settings())


def owner_database() -> Database:
    """Administrative commands run as the owner (they cross tenants by design, e.g. onboarding)."""
    url = get_settings().database_url
    return Database(url, url)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    reload: bool = False,
    background: Annotated[bool, typer.Option(help="Webhook 配信・差分ファイル作成をこのプロセス内で行う")] = True,
) -> None:
    """Web UI と API を起動します。"""
    import os

    import uvicorn

    os.environ["LGCLOUD_EMBEDDED_WORKER"] = "true" if background else "false"
    get_settings.cache_clear()
    uvicorn.run(
        "lgcloud.web.app:create_app", factory=True, host=host, port=port, workers=workers, reload=reload
    )


@app.command()
def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="データベースの作成と投入だけ行う")] = False,
    residents: Annotated[int, typer.Option(help="各団体に生成する住民数")] = 2000,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """デモ用クラウドグループを作成・投入し、Web UI を起動します (LGCLOUD_DATABASE_URL のデータベース)。"""
    from lgcloud.demo import seed_demo

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    logins = seed_demo(owner_database(), residents_per_municipality=residents, console=console)
    _print_logins(logins)
    if not no_serve:
        console.print(f"\n[bold]http://{host}:{port}/[/bold] で起動します (Ctrl+C で停止)")
        serve(host=host, port=port)


def _print_logins(logins: list[tuple[str, str, str, str]]) -> None:
    table = Table(title="デモ用ログイン")
    for column in ("ユーザー名", "パスワード", "権限", "所属"):
        table.add_column(column)
    for row in logins:
        table.add_row(*row)
    console.print(table)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """スキーマを最新にします (Alembic)。"""
    upgrade(get_settings().database_url)
    console.print("スキーマは最新です。")


@group_app.command("create")
def group_create(code: str, name: str) -> None:
    """クラウドグループを作成します。単独クラウドは構成団体1つのグループです。"""
    with owner_database().session(PLATFORM_CHAIN) as session:
        services.create_group(session, code=code, name=name, actor="cli")
    console.print(f"クラウドグループ {code} を作成しました。")


@group_app.command("list")
def group_list() -> None:
    """クラウドグループの一覧。"""
    with owner_database().session() as session:
        table = Table("コード", "名称", "構成団体数")
        for group in services.list_groups(session):
            table.add_row(
                group.code, group.name, str(len(services.list_municipalities(session, group.group_id)))
            )
    console.print(table)


@municipality_app.command("add")
def municipality_add(group: str, lg_code: str) -> None:
    """市区町村をクラウドグループに加えます (6桁の全国地方公共団体コード)。"""
    with owner_database().session(PLATFORM_CHAIN) as session:
        m = services.add_municipality(session, group_code=group, lg_code=lg_code, actor="cli")
        console.print(f"{m.prefecture}{m.name} ({m.lg_code}) を {group} に加えました。")


@municipality_app.command("list")
def municipality_list() -> None:
    """構成団体の一覧。"""
    with owner_database().session() as session:
        table = Table("団体コード", "都道府県", "団体名", "グループ", "状況")
        for m, g in services.list_municipalities(session):
            table.add_row(
                m.lg_code,
                m.prefecture,
                m.name,
                g.code,
                services.MUNICIPALITY_STATUSES.get(m.status, m.status),
            )
    console.print(table)


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="operator / admin / clerk / supervisor / auditor")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    lg_code: Annotated[str | None, typer.Option("--tenant", help="所属市区町村 (職員)")] = None,
    group: Annotated[str | None, typer.Option(help="所属クラウドグループ (運用者)")] = None,
    display_name: str = "",
) -> None:
    """利用者を追加します。"""
    with owner_database().session(lg_code or PLATFORM_CHAIN) as session:
        services.add_user(
            session,
            username=username,
            password=password,
            role=role,
            lg_code=lg_code,
            group_code=group,
            display_name=display_name,
            actor="cli",
        )
    console.print(f"利用者 {username} を追加しました。")


@user_app.command("list")
def user_list(lg_code: Annotated[str | None, typer.Option("--tenant")] = None) -> None:
    """利用者の一覧。"""
    with owner_database().session() as session:
        table = Table("ユーザー名", "氏名", "権限", "所属")
        for u in services.list_users(session, lg_code):
            table.add_row(u.username, u.display_name, u.role, u.lg_code or f"group:{u.group_id}")
    console.print(table)


@token_app.command("create")
def token_create(
    lg_code: Annotated[str, typer.Option("--tenant")],
    name: Annotated[str, typer.Option(help="連携システム名")],
    scope: Annotated[list[str], typer.Option(help="スコープ (複数可) 例: resident:read")],
    days: int = 365,
) -> None:
    """API トークンを発行します。トークンはこの一度だけ表示されます。"""
    with database().session(lg_code) as session:
        text, record = services.create_token(
            session, lg_code=lg_code, name=name, scopes=scope, days=days, actor="cli"
        )
    console.print(f"トークン ID {record.token_id}（有効期限 {record.expires_at:%Y-%m-%d}）")
    typer.echo(text)


@token_app.command("revoke")
def token_revoke(token_id: str, lg_code: Annotated[str, typer.Option("--tenant")]) -> None:
    """API トークンを失効させます。"""
    with database().session(lg_code) as session:
        services.revoke_token(session, lg_code=lg_code, token_id=token_id, actor="cli")
    console.print(f"トークン {token_id} を失効させました。")


@audit_app.command("verify")
def audit_verify(
    lg_code: Annotated[str, typer.Option("--tenant", help="市区町村コード (000000 は基盤全体)")],
) -> None:
    """監査ログのハッシュ連鎖を再計算し、最初に壊れている記録を報告します。"""
    with database().session(lg_code) as session:
        report = audit.verify_chain(session, lg_code)
    if report.ok:
        console.print(f"[green]正常[/green]: {lg_code} の {report.entries} 件のハッシュ連鎖を確認しました。")
        return
    err_console.print(f"[red]異常[/red]: {lg_code} の記録番号 {report.broken_seq}: {report.reason}")
    raise typer.Exit(1)


def main() -> None:
    try:
        app()
    except LgcloudError as exc:
        err_console.print(f"[red]エラー[/red] ({exc.code}): {exc.message}")
        sys.exit(2)


if __name__ == "__main__":
    main()
