"""`lgcloud analytics …`: cloud adoption status, published aggregates, cost per resident, apportionment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable
from sqlalchemy.orm import Session

from lgcloud.analytics import aggregates, service, views
from lgcloud.analytics.apportion import Member, apportion, apportionment_table, what_if_joins
from lgcloud.analytics.importer import ImportRejected
from lgcloud.analytics.municipalities import by_code
from lgcloud.analytics.tables import Table, export, make_table
from lgcloud.analytics.vocab import parse_fiscal_year
from lgcloud.errors import LgcloudError

app = typer.Typer(
    help="クラウド導入状況・公表集計値・一人当たり経費・費用按分 (adoption and cost analytics).",
    no_args_is_help=True,
)
console = Console()

DateOption = Annotated[str | None, typer.Option("--date", "-d", help="基準日 (例: 2018-06-15)。省略時は最新")]
OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="表を書き出すファイル (.csv / .xlsx)")]
EncodingOption = Annotated[str, typer.Option("--encoding", help="CSV の文字コード: utf-8 / utf-8-sig / cp932")]
BandsOption = Annotated[str | None, typer.Option("--bands", help="人口区分: cost2018 / h28")]
PopulationOption = Annotated[str | None, typer.Option("--population", help="人口表 (既定: census2020)")]


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise LgcloudError(f"日付「{text}」を読めません（例: 2018-06-15）", code="bad-date") from None


@contextmanager
def _session() -> Iterator[Session]:
    from lgcloud.config import get_settings
    from lgcloud.db import Database
    from lgcloud.tenancy.models import PLATFORM_CHAIN

    database = Database.from_settings(get_settings())
    try:
        with database.session(PLATFORM_CHAIN) as session:
            yield session
    finally:
        database.dispose()


def _context(ref_date: str | None, **options: object) -> views.Context:
    with _session() as session:
        return service.context(session, _date(ref_date), **options)  # type: ignore[arg-type]


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def show(table: Table, out: Path | None = None, encoding: str = "utf-8") -> None:
    """Print a table with its provenance, or write it to ``out`` (.csv or .xlsx)."""
    if out is not None:
        fmt = out.suffix.lstrip(".").lower()
        content, _media, _name = export(table, fmt, encoding)
        out.write_bytes(content)
        console.print(f"{out} に書き出しました（{len(table.rows)} 行）")
        return
    rich = RichTable(title=table.title, title_justify="left")
    for index, column in enumerate(table.columns):
        rich.add_column(column, justify="left" if index == 0 else "right")
    for row in table.rows:
        rich.add_row(*(_cell(v) for v in row))
    console.print(rich)
    for label, value in table.provenance()[1:]:
        console.print(f"[dim]{label}: {value}[/dim]")


def _show_key(key: str, ref_date: str | None, out: Path | None, encoding: str, **options: object) -> None:
    show(views.build(key, _context(ref_date, **options)), out, encoding)


@app.command()
def status(
    by: Annotated[str | None, typer.Option("--by", help="prefecture / band")] = None,
    ref_date: DateOption = None,
    bands: BandsOption = None,
    population: PopulationOption = None,
    out: OutOption = None,
    encoding: EncodingOption = "utf-8",
) -> None:
    """クラウド導入状況（団体別データがあればそこから、なければ公表集計値）。"""
    keys = {None: "status", "prefecture": "status-by-prefecture", "band": "status-by-band"}
    if by not in keys:
        raise LgcloudError("--by は prefecture か band です", code="bad-option")
    _show_key(keys[by], ref_date, out, encoding, band_scheme_name=bands, population_label=population)


@app.command()
def plans(ref_date: DateOption = None, out: OutOption = None, encoding: EncodingOption = "utf-8") -> None:
    """自治体クラウド未導入団体の導入計画（表2）。"""
    _show_key("plans", ref_date, out, encoding)


@app.command("target-years")
def target_years(ref_date: DateOption = None, out: OutOption = None, encoding: EncodingOption = "utf-8") -> None:
    """クラウド導入の目標年度（表3）。"""
    _show_key("target-years", ref_date, out, encoding)


@app.command()
def checks(ref_date: DateOption = None, out: OutOption = None, encoding: EncodingOption = "utf-8") -> None:
    """整合性チェック（表2合計 = 表1の自治体クラウド以外、表3は一致を前提にしない）。"""
    _show_key("checks", ref_date, out, encoding)


@app.command()
def trend(out: OutOption = None, encoding: EncodingOption = "utf-8") -> None:
    """基準日ごとの導入状況の推移（公表集計値。基準日の異なる調査は合算しない）。"""
    show(aggregates.trend_table(), out, encoding)


@app.command("aggregates")
def aggregates_command(
    dataset: Annotated[str | None, typer.Argument(help="データセット ID (省略時は一覧)")] = None,
    out: OutOption = None,
    encoding: EncodingOption = "utf-8",
) -> None:
    """公表集計値（論文の表1〜3 ほか）を出典・確認状況つきで表示。"""
    table = aggregates.table(aggregates.dataset(dataset)) if dataset else aggregates.catalogue_table()
    show(table, out, encoding)


@app.command()
def table(
    key: Annotated[str, typer.Argument(help=f"表: {', '.join(views.TABLE_KEYS)} または dataset:<ID>")],
    ref_date: DateOption = None,
    out: OutOption = None,
    encoding: EncodingOption = "utf-8",
    bands: BandsOption = None,
    population: PopulationOption = None,
    year: Annotated[int | None, typer.Option("--year", help="経費の年度")] = None,
) -> None:
    """任意の表を表示、または --out で CSV / xlsx に書き出し。"""
    _show_key(key, ref_date, out, encoding, band_scheme_name=bands, population_label=population, fiscal_year=year)


@app.command()
def cost(
    year: Annotated[int | None, typer.Option("--year", help="経費の年度 (省略時は最新)")] = None,
    ref_date: DateOption = None,
    bands: BandsOption = None,
    population: PopulationOption = None,
    out: OutOption = None,
    encoding: EncodingOption = "utf-8",
) -> None:
    """人口規模別・導入状況別の住民一人当たり情報システム経費。"""
    _show_key(
        "cost-per-resident",
        ref_date,
        out,
        encoding,
        fiscal_year=year,
        band_scheme_name=bands,
        population_label=population,
    )


@app.command()
def chart(
    key: Annotated[str, typer.Argument(help=f"図: {', '.join(views.CHART_KEYS)}")],
    out: Annotated[Path, typer.Option("--out", "-o", help="出力ファイル (.svg / .png)")],
    ref_date: DateOption = None,
    bands: BandsOption = None,
    year: Annotated[int | None, typer.Option("--year", help="経費の年度")] = None,
) -> None:
    """図を SVG / PNG で書き出し。"""
    drawn = views.chart(key, _context(ref_date, band_scheme_name=bands, fiscal_year=year))
    drawn.save(out)
    console.print(f"{out} に書き出しました（系列 {len(drawn.series)}）")


def _report(report: service.ImportReport, what: str) -> None:
    when = f"基準日 {report.ref_date}: " if report.ref_date else ""
    console.print(f"[green]{what}[/green] {when}新規 {report.inserted} 件、置換 {report.replaced} 件")
    for warning in report.warnings:
        console.print(f"[yellow]注意[/yellow] {warning}")


def _read(file: Path) -> bytes:
    if not file.is_file():
        raise LgcloudError(f"ファイル {file} がありません", code="file-not-found")
    return file.read_bytes()


def _rejected(exc: ImportRejected) -> None:
    console.print(f"[red]取り込めません[/red]（{len(exc.issues)} 件の誤り。何も登録していません）")
    for issue in exc.issues:
        console.print(f"  {issue}")
    raise typer.Exit(2)


@app.command("import")
def import_status(
    file: Annotated[Path, typer.Argument(help="団体別の導入状況 (CSV / xlsx、形式は docs/analytics.md)")],
    ref_date: DateOption = None,
    replace: Annotated[bool, typer.Option("--replace", help="同じ基準日の登録済みの団体を置き換える")] = False,
    source: Annotated[str, typer.Option("--source", help="出典 (例: 総務省調査 H30.6.15)")] = "",
) -> None:
    """団体別の導入状況を取り込む（全行を検証してから登録。誤りが1つでもあれば何も登録しない）。"""
    content = _read(file)
    try:
        with _session() as session:
            report = service.import_status(
                session, content, file.name, ref_date=_date(ref_date), replace=replace, source=source, actor="cli"
            )
    except ImportRejected as exc:
        _rejected(exc)
    _report(report, "取り込みました")


@app.command("import-costs")
def import_costs(
    file: Annotated[Path, typer.Argument(help="経費 (団体コード,年度,経費)")],
    replace: Annotated[bool, typer.Option("--replace")] = False,
) -> None:
    """団体別の情報システム経費を取り込む。"""
    content = _read(file)
    try:
        with _session() as session:
            report = service.import_costs(session, content, file.name, replace=replace, actor="cli")
    except ImportRejected as exc:
        _rejected(exc)
    _report(report, "取り込みました")


@app.command("set-cost")
def set_cost(
    lg_code: Annotated[str, typer.Argument(help="団体コード")],
    fiscal_year: Annotated[str, typer.Argument(help="年度 (2017, H29 …)")],
    amount_yen: Annotated[int, typer.Argument(help="情報システム経費 (円)")],
) -> None:
    """1団体・1年度の情報システム経費を登録（訂正）する。"""
    year = parse_fiscal_year(fiscal_year)
    if year is None:
        raise LgcloudError("年度を指定してください", code="bad-fiscal-year")
    with _session() as session:
        service.set_cost(session, lg_code, year, amount_yen, actor="cli")
    console.print(f"{lg_code} の {year}年度の経費を {amount_yen:,} 円で登録しました")


@app.command("import-population")
def import_population(
    file: Annotated[Path, typer.Argument(help="人口表 (団体コード,人口)")],
    label: Annotated[str, typer.Option("--label", help="表の名前 (例: 住基人口2024)")],
    as_of: Annotated[str, typer.Option("--as-of", help="基準日")],
    note: Annotated[str, typer.Option("--note")] = "",
) -> None:
    """公式の総人口表（住民基本台帳人口など）を取り込む。"""
    content = _read(file)
    the_date = _date(as_of)
    assert the_date is not None
    try:
        with _session() as session:
            report = service.import_population(session, content, file.name, label=label, as_of=the_date, note=note)
    except ImportRejected as exc:
        _rejected(exc)
    _report(report, f"人口表「{label}」を登録しました")


def _parse_weights(text: str) -> dict[str, str]:
    weights = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        if not value:
            raise LgcloudError(f"割合「{part}」を読めません（例: equal=30,population=70）", code="bad-weights")
        weights[name.strip()] = value.strip()
    return weights


def _members(session: Session, codes: list[str], population_label: str | None, usage: dict[str, int]) -> list[Member]:
    population = service.population(session, population_label)
    if not codes:
        codes = [m.lg_code for m in service.own_members(session) if m.status != "left"]
    members = []
    for code in codes:
        known = by_code().get(code)
        if known is None:
            raise LgcloudError(f"団体コード「{code}」は全国の市区町村にありません", code="bad-lgcode")
        members.append(Member(code, known.name, population.of(code) or 0, usage.get(code, 0)))
    return members


@app.command("apportion")
def apportion_command(
    total: Annotated[int, typer.Option("--total", help="按分する総額 (円)")],
    weights: Annotated[str, typer.Option("--weights", help="例: equal=30,population=70,usage=0")] = "population=1",
    member: Annotated[list[str] | None, typer.Option("--member", help="構成団体コード (省略時は本グループ)")] = None,
    join: Annotated[str | None, typer.Option("--join", help="参加した場合を比べる団体コード")] = None,
    total_after: Annotated[int | None, typer.Option("--total-after", help="参加後の総額 (既定: 同額)")] = None,
    usage_period: Annotated[str | None, typer.Option("--usage-period", help="利用量の期間 (例: 2025)")] = None,
    usage_metric: Annotated[str, typer.Option("--usage-metric")] = "records",
    population: PopulationOption = None,
    out: OutOption = None,
    encoding: EncodingOption = "utf-8",
) -> None:
    """クラウドグループ内の費用按分（均等割・人口割・利用量割と組合せ、円単位で総額に一致）。"""
    with _session() as session:
        usage = service.usage_for(session, usage_period, usage_metric) if usage_period else {}
        members = _members(session, member or [], population, usage)
        joiner = _members(session, [join], population, usage)[0] if join else None
    if not members:
        raise LgcloudError("構成団体がありません（--member で指定）", code="no-members")
    mix = _parse_weights(weights)
    if joiner is None:
        show(apportionment_table(apportion(total, members, mix)), out, encoding)
    else:
        show(what_if_joins(total, members, joiner, mix, total_after).table(), out, encoding)


@app.command("measure-usage")
def measure_usage(
    period: Annotated[str, typer.Option("--period", help="期間 (例: 2026 や 2026-04)。rows: 指標では記録名")],
    metric: Annotated[str, typer.Option("--metric", help="audit-events または rows:<テナント表名>")] = "audit-events",
    member: Annotated[list[str] | None, typer.Option("--member", help="構成団体コード (省略時は本グループ)")] = None,
) -> None:
    """lgcloud 自身が計測した利用量（操作件数・レコード数）を記録し、利用量割に使えるようにする。"""
    with _session() as session:
        codes = member or [m.lg_code for m in service.own_members(session) if m.status != "left"]
        values = service.measure_usage(session, codes, metric, None if metric.startswith("rows:") else period)
        service.record_usage(session, period, metric, values)
    rows = [(code, by_code()[code].name if code in by_code() else "", value) for code, value in values.items()]
    show(make_table("usage", f"利用量（{metric}、{period}）", ("団体コード", "団体名", "利用量"), rows))


@app.command()
def snapshots() -> None:
    """登録済みの基準日ごとの団体別データ（団体数・出典）。"""
    with _session() as session:
        points = service.snapshot_points(session)
    rows = [(p.ref_date.isoformat(), sum(v or 0 for v in p.counts.values()), p.source) for p in points]
    show(make_table("snapshots", "登録済みの団体別データ", ("基準日", "団体数", "出典"), rows))


@app.command("delete-snapshot")
def delete_snapshot(
    ref_date: Annotated[str, typer.Option("--date", "-d", help="削除する基準日")],
    yes: Annotated[bool, typer.Option("--yes", help="確認を省略")] = False,
) -> None:
    """ある基準日の団体別データをすべて削除する（監査ログに記録）。"""
    the_date = _date(ref_date)
    assert the_date is not None
    if not yes and not typer.confirm(f"基準日 {the_date} の団体別データを削除しますか"):
        raise typer.Exit(1)
    with _session() as session:
        count = service.delete_snapshot(session, the_date, actor="cli")
    console.print(f"基準日 {the_date} の {count} 団体分を削除しました")


@app.command("load-demo")
def load_demo(
    seed: Annotated[int, typer.Option("--seed")] = 0,
    with_costs: Annotated[bool, typer.Option("--costs/--no-costs")] = True,
) -> None:
    """架空の団体別データ（合計が論文の表1〜3に一致）と架空の経費を登録（デモ用）。"""
    with _session() as session:
        report = service.load_demo(session, seed=seed, with_costs=with_costs)
    _report(report, "架空データを登録しました")
