"""`lgcloud demo-data …`: synthetic legacy migration files for demos, tests and benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lgcloud.codes.checkdigits import validate_lgcode
from lgcloud.errors import LgcloudError
from lgcloud.migration.generate import DEFAULT_LG_CODE, GenerateOptions, generate

app = typer.Typer(help="デモ・試験用の移行データ (架空の住民) を作ります", no_args_is_help=True)


@app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Option(help="出力ディレクトリ")],
    rows: Annotated[int, typer.Option(help="住民ファイルの行数 (履歴行を含む)")] = 10_000,
    encoding: Annotated[str | None, typer.Option(help="文字コード (既定: 方言のもの。juki の既定は cp932)")] = None,
    dialect: Annotated[str | None, typer.Option(help="juki レイアウトの方言名 (csv-utf8, fixed-cp932 …)")] = None,
    errors: Annotated[float, typer.Option(help="誤りを入れる行の割合 (0–1)。manifest.csv に記録")] = 0.0,
    gaiji: Annotated[float, typer.Option(help="ベンダー外字の氏を持つ世帯の割合 (0–1)")] = 0.0,
    seed: Annotated[int, typer.Option(help="乱数の種 (同じ種なら同じファイル)")] = 0,
    lg_code: Annotated[str, typer.Option(help="市区町村コード (取り込む団体のコード)")] = DEFAULT_LG_CODE,
) -> None:
    """住基 (juki) 形式の住民・外国人・世帯ファイル、外字対応表、誤りの一覧 (manifest) を作ります。"""
    if rows < 0 or not 0 <= errors <= 1 or not 0 <= gaiji <= 1:
        raise typer.BadParameter("rows ≥ 0、errors と gaiji は 0〜1 です")
    if reason := validate_lgcode(lg_code):
        raise typer.BadParameter(f"市区町村コード {lg_code}: {reason}")
    console = Console()
    try:
        with console.status("作成中…"):
            result = generate(GenerateOptions(rows=rows, out=out, encoding=encoding, errors=errors, gaiji=gaiji,
                                              seed=seed, dialect=dialect, lg_code=lg_code))
    except LgcloudError as exc:
        console.print(f"[red]エラー:[/red] {exc.message}")
        raise typer.Exit(2) from exc
    table = Table(title=f"作成しました: {out}")
    table.add_column("ファイル")
    table.add_column("行数", justify="right")
    for name, path in result.files.items():
        table.add_row(str(path), f"{result.counts[name]:,}")
    table.add_row(str(result.mapping), "外字対応表")
    table.add_row(str(result.manifest), f"{sum(result.injected.values()):,} 件の誤り")
    console.print(table)
