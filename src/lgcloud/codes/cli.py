"""`lgcloud codes …`: check identifiers and read dates, for counter staff and for migration data checks."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Annotated

import typer

from lgcloud.codes.checkdigits import (
    RemainderOnePolicy,
    validate_atena,
    validate_juminhyo_code,
    validate_lgcode,
    validate_mynumber,
)
from lgcloud.codes.dates import JpDate
from lgcloud.codes.errors import CodesError
from lgcloud.codes.kana import fold_kana
from lgcloud.codes.tables import TABLE_NAMES, code_table

app = typer.Typer(
    help="検査数字・和暦日付・コード表 (check digits, 和暦 dates, code tables).",
    no_args_is_help=True,
)


class CheckKind(StrEnum):
    lgcode = "lgcode"
    mynumber = "mynumber"
    juminhyo = "juminhyo"
    atena = "atena"


def _inputs(values: Iterable[str]) -> list[str]:
    """Arguments as given; ``-`` stands for stdin, one value per line (blank lines skipped)."""
    out: list[str] = []
    for value in values:
        if value == "-":
            out.extend(line.strip() for line in sys.stdin if line.strip())
        else:
            out.append(value)
    return out


def _validator(kind: CheckKind, policy: RemainderOnePolicy) -> Callable[[str], str | None]:
    validators: dict[CheckKind, Callable[[str], str | None]] = {
        CheckKind.lgcode: validate_lgcode,
        CheckKind.mynumber: validate_mynumber,
        CheckKind.juminhyo: validate_juminhyo_code,
        CheckKind.atena: lambda v: validate_atena(v, policy),
    }
    return validators[kind]


@app.command()
def check(
    kind: Annotated[CheckKind, typer.Argument(help="lgcode | mynumber | juminhyo | atena")],
    values: Annotated[list[str], typer.Argument(help="values to check; '-' reads one per line from stdin")],
    remainder_one: Annotated[
        RemainderOnePolicy, typer.Option(help="atena: the municipality's remainder-1 policy (zero or skip)")
    ] = RemainderOnePolicy.ZERO,
) -> None:
    """Print VALUE<TAB>ok or VALUE<TAB>bad<TAB>reason for each value; exit 1 if any is bad."""
    validate = _validator(kind, remainder_one)
    any_bad = False
    for value in _inputs(values):
        reason = validate(value)
        any_bad |= reason is not None
        typer.echo(f"{value}\tok" if reason is None else f"{value}\tbad\t{reason}")
    raise typer.Exit(1 if any_bad else 0)


def _date_record(text: str) -> dict[str, object]:
    try:
        d = JpDate.parse(text)
    except CodesError as exc:
        return {"input": text, "ok": False, "error": exc.message}
    return {"input": text, "ok": True, **d.to_json(), "wareki": d.wareki(), "seireki": d.seireki()}


@app.command()
def date(
    texts: Annotated[list[str], typer.Argument(help="dates in any accepted form; '-' reads stdin")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON array for machines")] = False,
) -> None:
    """Print TEXT<TAB>kind<TAB>和暦<TAB>ISO per date (ISO '-' for 年月日不詳); exit 1 if any cannot be read."""
    records = [_date_record(t) for t in _inputs(texts)]
    if as_json:
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
    else:
        for r in records:
            fields = (r["kind"], r["wareki"], r["iso"] or "-") if r["ok"] else ("bad", r["error"])
            typer.echo("\t".join([str(r["input"]), *map(str, fields)]))
    raise typer.Exit(0 if all(r["ok"] for r in records) else 1)


@app.command()
def table(
    name: Annotated[str, typer.Argument(help=f"one of {', '.join(TABLE_NAMES)} (or its Japanese title)")],
) -> None:
    """Print a code table: CODE<TAB>NAME per line, after a '# title version' line."""
    try:
        t = code_table(name)
    except CodesError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"# {t.title} ({t.name}) version {t.version}")
    for entry in t:
        typer.echo(f"{entry.code}\t{entry.name}")


@app.command()
def kana(texts: Annotated[list[str], typer.Argument(help="kana to fold; '-' reads stdin")]) -> None:
    """Print TEXT<TAB>search key (the fuzzy kana folding used for name search)."""
    for text in _inputs(texts):
        typer.echo(f"{text}\t{fold_kana(text)}")
