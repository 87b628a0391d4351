"""``lgcloud moji …``: build the MJ index, look characters up, inventory a data file's characters."""

from __future__ import annotations

import bisect
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lgcloud.config import get_settings
from lgcloud.errors import LgcloudError
from lgcloud.moji.report import codepoints, describe
from lgcloud.moji.text import BASIC_CLASSES, CharClass, Inventory, inventory

app = typer.Typer(help="文字情報基盤 (MJ): 文字コード照会・外字の棚卸し・縮退・名寄せキー", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)

CLASS_LABELS = {
    CharClass.ASCII: "ASCII",
    CharClass.JISX0201_KANA: "JIS X 0201 半角カナ",
    CharClass.JISX0208: "JIS X 0208",
    CharClass.JISX0213: "JIS X 0213 (0208 外)",
    CharClass.MJ: "MJ のみ (IVS を含む)",
    CharClass.PUA: "私用領域 (外字)",
    CharClass.UNKNOWN: "MJ にも JIS にもない",
}


def _fail(exc: LgcloudError) -> typer.Exit:
    err_console.print(f"[red]エラー[/red] {exc.message}")
    return typer.Exit(code=1)


@app.command("build-index")
def build_index_command(
    force: Annotated[bool, typer.Option(help="既にあっても作り直す")] = False,
) -> None:
    """MJ 索引を作ります (固定版 @mandel59/mojidata を npm pack で取得・検証して変換)。既にあれば何もしません。"""
    from lgcloud.moji.build import build_index

    try:
        path, built = build_index(get_settings().cache_dir, force=force)
    except LgcloudError as exc:
        raise _fail(exc) from exc
    console.print(f"MJ 索引を{'作成しました' if built else '作成済みです'}: {path}")


def _print_description(info: dict[str, Any]) -> None:
    rec = info["record"]
    table = Table(title=f"{rec['glyph']}  {rec['mj']}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    rows = [
        ("符号位置", info["codepoints"]),
        ("対応するUCS", rec["ucs"] or "-"),
        ("住基ネット統一文字コード", rec["juki"] or "-"),
        ("戸籍統一文字番号", rec["koseki"] or "-"),
        ("登記統一文字番号", rec["touki"] or "-"),
        ("JIS X 0213", f"{rec['x0213'] or '-'}" + (" (包摂)" if rec["x0213_inclusion"] == 2 else "")),
        ("総画数", str(rec["strokes"] or "-")),
        ("読み", "、".join(rec["readings"]) or "-"),
        ("縮退 (JIS X 0208)", f"{info['jisx0208']['target'] or '縮退先なし'}  [{info['jisx0208']['table'] or '-'}]"),
        ("縮退 (JIS X 0213)", f"{info['jisx0213']['target'] or '縮退先なし'}  [{info['jisx0213']['table'] or '-'}]"),
        ("名寄せキー", info["matching_key"]),
        ("同じキーの字", " ".join(info["key_group"])),
        ("同じ字の他の字形", " ".join(f"{g['glyph']}({g['mj']})" for g in info["glyphs"]) or "-"),
    ]
    for label, value in rows:
        table.add_row(label, escape(value))
    console.print(table)


@app.command()
def show(
    queries: Annotated[
        list[str], typer.Argument(help="文字 / MJxxxxxx / J+XXXX / U+XXXX / 戸籍統一文字番号 / 1-25-66")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力")] = False,
) -> None:
    """文字コード照会: MJ の記録、縮退先とその表、名寄せキー、同じキーの異体字。"""
    try:
        results = [(q, describe(q)) for q in queries]
    except LgcloudError as exc:
        raise _fail(exc) from exc
    if as_json:
        console.print_json(json.dumps([r or {"query": q, "record": None} for q, r in results], ensure_ascii=False))
    else:
        for query, info in results:
            if info is None:
                err_console.print(f"[yellow]見つかりません[/yellow]: {query} ({codepoints(query)})")
            else:
                _print_description(info)
    if any(info is None for _, info in results):
        raise typer.Exit(code=1)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    pos = text.find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


def _where(offset: int, starts: list[int]) -> dict[str, int]:
    line = bisect.bisect_right(starts, offset)
    return {"offset": offset, "line": line, "column": offset - starts[line - 1] + 1}


def _tenant_mapping(lg_code: str, source_system: str | None) -> dict[str, tuple[str, str]]:
    """source character → (source system, MJ glyph) of the tenant's confirmed mappings."""
    from lgcloud.db import Database
    from lgcloud.moji import service

    database = Database.from_settings(get_settings())
    mapped: dict[str, tuple[str, str]] = {}
    try:
        with database.session(lg_code) as session:
            systems = {row.source_system for row in service.current_mappings(session, lg_code)}
            for system in sorted(systems):
                if source_system and system != source_system:
                    continue
                for char, glyph in service.load_mapping(session, lg_code, system).items():
                    mapped.setdefault(char, (system, glyph))
    finally:
        database.dispose()
    return mapped


def scan_text(text: str, mapped: dict[str, tuple[str, str]] | None = None) -> dict[str, Any]:
    inv: Inventory = inventory(text)
    starts = _line_starts(text)
    chars = []
    for occ in sorted(inv.exceptions(), key=lambda o: (list(CharClass).index(o.char_class), o.positions[0])):
        entry: dict[str, Any] = {
            "char": occ.text,
            "codepoints": codepoints(occ.text),
            "class": occ.char_class.value,
            "mj": occ.mj,
            "count": occ.count,
            "positions": [_where(p, starts) for p in occ.positions],
        }
        if mapped is not None and occ.char_class is CharClass.PUA:
            hit = mapped.get(occ.text)
            entry["mapped"] = {"source_system": hit[0], "glyph": hit[1]} if hit else None
        chars.append(entry)
    return {"length": inv.length, "counts": {k.value: v for k, v in inv.counts.items()}, "chars": chars}


def _print_scan(name: str, result: dict[str, Any]) -> None:
    counts = Table(title=f"{name}: {result['length']:,} 文字", title_justify="left")
    counts.add_column("分類")
    counts.add_column("文字数", justify="right")
    for cls in CharClass:
        counts.add_row(CLASS_LABELS[cls], f"{result['counts'][cls.value]:,}")
    console.print(counts)
    if not result["chars"]:
        console.print("JIS X 0208 外の文字はありません。")
        return
    detail = Table(title="JIS X 0208 外の文字", title_justify="left")
    for column in ("文字", "符号位置", "分類", "MJ", "件数", "最初の位置 (行:桁)", "対応づけ"):
        detail.add_column(column)
    for entry in result["chars"]:
        mapped = entry.get("mapped", "")
        mapped_text = "" if mapped == "" else ("[red]未対応[/red]" if mapped is None else f"{mapped['glyph']}")
        where = " ".join(f"{p['line']}:{p['column']}" for p in entry["positions"])
        label = CLASS_LABELS[CharClass(entry["class"])]
        row = (entry["char"], entry["codepoints"], label, entry["mj"] or "-", str(entry["count"]), where, mapped_text)
        detail.add_row(*(escape(cell) for cell in row[:-1]), row[-1])
    console.print(detail)


@app.command()
def scan(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)],
    encoding: Annotated[str, typer.Option(help="ファイルの文字コード (cp932, utf-8, euc_jis_2004 …)")] = "utf-8",
    tenant: Annotated[
        str | None, typer.Option(help="この団体の確定済み外字対応表で対応づけを確認 (団体コード)")
    ] = None,
    source_system: Annotated[str | None, typer.Option(help="対応表の移行元システム (省略時はすべて)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力")] = False,
) -> None:
    """データファイルの文字の棚卸し: 分類ごとの件数、外字・MJ のみの文字とその位置、対応づけの有無。"""
    try:
        mapped = _tenant_mapping(tenant, source_system) if tenant else None
        results = []
        for path in files:
            text = _read(path, encoding)
            results.append({"file": str(path), "encoding": encoding, **scan_text(text, mapped)})
    except LgcloudError as exc:
        raise _fail(exc) from exc
    if as_json:
        console.print_json(json.dumps(results, ensure_ascii=False))
        return
    for result in results:
        _print_scan(result["file"], result)
        unmapped = [c for c in result["chars"] if c.get("mapped", "") is None]
        if unmapped:
            console.print(f"[red]対応づけのない外字: {len(unmapped)} 種類[/red]")


def _read(path: Path, encoding: str) -> str:
    data = path.read_bytes()
    try:
        return data.decode(encoding)
    except LookupError as exc:
        raise LgcloudError(f"文字コード {encoding} は使えません", code="moji-unknown-encoding") from exc
    except UnicodeDecodeError as exc:
        raise LgcloudError(
            f"{path}: {exc.start} バイト目が {encoding} として読めません ({data[exc.start : exc.start + 4].hex()})",
            code="moji-undecodable",
        ) from exc


@app.command()
def degrade(
    text: Annotated[str, typer.Argument(help="縮退する文字列")],
    to: Annotated[str, typer.Option(help="jisx0208 または jisx0213")] = "jisx0208",
    allow_lookalike: Annotated[bool, typer.Option(help="類字・読み字形による類推も使う")] = False,
    allow_related: Annotated[bool, typer.Option(help="辞書類等による関連字も使う")] = False,
) -> None:
    """縮退: JIS X 0208 (または 0213) にない文字を推奨順の表で置き換え、決めた表を示します。"""
    from lgcloud.moji.degrade import degrade_text

    try:
        report = degrade_text(text, to, allow_lookalike=allow_lookalike, allow_related=allow_related)
    except LgcloudError as exc:
        raise _fail(exc) from exc
    console.print(escape(report.text))
    for offset, d in report.changes:
        console.print(f"  {offset + 1}文字目 {escape(d.source)} → {escape(d.target or '')}  [{escape(d.table or '')}]")
    for offset, d in report.failures:
        console.print(f"  [red]{offset + 1}文字目 {escape(d.source)} ({codepoints(d.source)}): 縮退先なし[/red]")
    if report.failures:
        raise typer.Exit(code=1)


@app.command()
def key(texts: Annotated[list[str], typer.Argument(help="名寄せキーを求める文字列")]) -> None:
    """名寄せキー (検索用。氏名の保存には使いません)。"""
    from lgcloud.moji.matching import matching_key

    try:
        for text in texts:
            console.print(f"{escape(text)}\t{escape(matching_key(text))}")
    except LgcloudError as exc:
        raise _fail(exc) from exc


@app.command()
def suggest(
    reading: Annotated[str | None, typer.Option(help="読み (かな)")] = None,
    radical: Annotated[str | None, typer.Option(help="部首 (番号または字)")] = None,
    strokes: Annotated[int | None, typer.Option(help="総画数")] = None,
    similar: Annotated[str | None, typer.Option(help="似た字")] = None,
    ids: Annotated[str | None, typer.Option(help="IDS (例 ⿰山奇)")] = None,
    limit: int = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """未対応外字の候補: 読み・部首・画数・似た字・IDS から MJ 候補を順位づけして出します。"""
    from lgcloud.moji.suggest import suggest as run

    try:
        found = run(reading=reading, radical=radical, strokes=strokes, similar=similar, ids=ids, limit=limit)
    except LgcloudError as exc:
        raise _fail(exc) from exc
    if as_json:
        console.print_json(json.dumps([s.__dict__ for s in found], ensure_ascii=False))
        return
    table = Table("順位", "字", "MJ", "点", "理由")
    for rank, item in enumerate(found, start=1):
        table.add_row(str(rank), item.glyph, item.mj, f"{item.score:g}", escape("、".join(item.reasons)))
    console.print(table)


__all__ = ["BASIC_CLASSES", "app", "describe", "scan_text"]
