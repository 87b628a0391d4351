"""``lgcloud linkage``: the worker, 差分/全件 files, subscriptions, the event catalogue and its docs."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="連携 (イベント・PULL・Webhook・差分/全件ファイル・団体間)", no_args_is_help=True)
console = Console()

Tenant = Annotated[str, typer.Option("--tenant", "-t", help="全国地方公共団体コード (6桁)")]


def _database():  # type: ignore[no-untyped-def]
    from lgcloud.config import get_settings
    from lgcloud.db import Database

    return Database.from_settings(get_settings())


def _root(out: Path | None) -> Path:
    from lgcloud.config import get_settings
    from lgcloud.linkage.files import export_root

    return out or export_root(get_settings())


@app.command()
def worker(
    interval: Annotated[float, typer.Option(help="tick interval in seconds")] = 1.0,
    once: Annotated[bool, typer.Option(help="run one tick and exit")] = False,
    out: Annotated[Path | None, typer.Option(help="差分ファイルの出力先")] = None,
) -> None:
    """Webhook 配信・団体間連携・定期差分ファイルのワーカーを実行します。"""
    from lgcloud.config import get_settings
    from lgcloud.linkage import worker as w

    database, policy = _database(), w.policy_for(get_settings().webhook_allow_networks)
    if once:
        console.print(w.tick(database, _root(out), policy=policy).__dict__)
        return
    stop = threading.Event()
    console.print(f"linkage worker: full pass every {interval} s, new events as soon as committed (Ctrl+C で停止)")
    try:
        w.run(database, _root(out), stop, interval=interval, policy=policy)
    except KeyboardInterrupt:
        stop.set()


@app.command()
def files(
    tenant: Tenant,
    since: Annotated[int | None, typer.Option(help="このカーソルの次から (省略時: 前回の定期差分の続き)")] = None,
    full: Annotated[bool, typer.Option("--full", help="全件ファイルを作成")] = False,
    out: Annotated[Path | None, typer.Option(help="出力先ディレクトリ")] = None,
) -> None:
    """差分 (または --full で全件) ファイルとマニフェストを書き出します。"""
    from lgcloud.linkage import files as f

    database = _database()
    export = (
        f.write_full(database, tenant, _root(out), actor="cli")
        if full
        else f.write_diff(database, tenant, _root(out), since=since, actor="cli")
    )
    if export is None:
        console.print("新しいイベントはありません")
        return
    console.print(
        f"{export['kind']} {export['from_seq']}..{export['to_seq']}: {export['rows']} 行 → {export['directory']}"
    )


@app.command()
def schedule(
    tenant: Tenant,
    every: Annotated[int, typer.Option(help="差分ファイルの間隔 (1〜10分)")] = 10,
    disable: Annotated[bool, typer.Option("--disable")] = False,
) -> None:
    """定期差分ファイルの間隔を設定します。"""
    from lgcloud.linkage import files as f

    with _database().session(tenant) as session:
        f.set_schedule(session, tenant, every, enabled=not disable, actor="cli")
    console.print(f"{tenant}: {'停止' if disable else f'{every} 分ごと'}")


@app.command()
def subscriptions(tenant: Tenant) -> None:
    """Webhook の購読と配信状況を表示します。"""
    from lgcloud.linkage import subscriptions as s

    with _database().session(tenant) as session:
        subs, counts = s.list_all(session, tenant), s.counts(session, tenant)
    table = Table("id", "連携システム", "URL", "種別", "状態", "カーソル", "配信済", "待機", "dead")
    for sub in subs:
        n = {state: counts.get((sub.sub_id, state), 0) for state in s.STATES}
        table.add_row(
            str(sub.sub_id), sub.name, sub.url, ",".join(sub.event_types) or "(全種別)",
            "有効" if sub.active else "停止", str(sub.cursor), str(n["delivered"]), str(n["pending"]), str(n["dead"]),
        )  # fmt: skip
    console.print(table)


@app.command()
def catalogue(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """イベント種別の一覧 (JSON Schema は --json)。"""
    from lgcloud.linkage.catalogue import CATALOGUE
    from lgcloud.linkage.schemas import all_schemas

    if as_json:
        console.print_json(json.dumps(all_schemas(), ensure_ascii=False))
        return
    table = Table("type", "名称", "異動事由")
    for kind in CATALOGUE:
        table.add_row(kind.type, kind.title, "、".join(kind.reasons))
    console.print(table)


@app.command()
def docs(path: Annotated[Path, typer.Option()] = Path("docs/linkage/events.md")) -> None:
    """docs/linkage/events.md をカタログから生成します。"""
    from lgcloud.linkage.docs import events_markdown

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(events_markdown(), encoding="utf-8")
    console.print(f"wrote {path}")
