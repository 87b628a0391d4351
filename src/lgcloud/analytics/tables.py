"""A plain table (title, columns, rows, provenance) and its exports: CSV (utf-8 / cp932) and xlsx."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lgcloud.errors import LgcloudError

Cell = str | int | float | None

CSV_ENCODINGS = ("utf-8", "utf-8-sig", "cp932")


@dataclass(frozen=True)
class Table:
    """What every view returns; the UI, the CLI and the exports all render this."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    ref_date: date | None = None
    source: str = ""
    verified: bool | None = None
    notes: tuple[str, ...] = field(default=())

    def column(self, name: str) -> list[Cell]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def as_dict(self, key_column: int = 0, value_column: str | None = None) -> dict[Cell, Cell]:
        index = self.columns.index(value_column) if value_column else len(self.columns) - 1
        return {row[key_column]: row[index] for row in self.rows}

    def provenance(self) -> list[tuple[str, str]]:
        items = [("表", self.title)]
        if self.ref_date:
            items.append(("基準日", self.ref_date.isoformat()))
        if self.source:
            items.append(("出典", self.source))
        if self.verified is not None:
            items.append(("確認", "確認済み" if self.verified else "未確認（原資料で要確認）"))
        items.extend(("注", n) for n in self.notes)
        return items


def make_table(key: str, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], **meta: Any) -> Table:
    return Table(key, title, tuple(columns), tuple(tuple(r) for r in rows), **meta)


def to_csv(table: Table, encoding: str = "utf-8") -> bytes:
    """Header + rows. ``cp932`` for older Excel; an unencodable character is an error, never a '?'."""
    if encoding not in CSV_ENCODINGS:
        raise LgcloudError(
            f"文字コード「{encoding}」には対応していません（{', '.join(CSV_ENCODINGS)}）", code="bad-encoding"
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows(["" if c is None else c for c in row] for row in table.rows)
    text = buffer.getvalue()
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        char = exc.object[exc.start : exc.end]
        raise LgcloudError(
            f"「{char}」(U+{ord(char[0]):04X}) は {encoding} で表せません。utf-8 で出力してください",
            code="unencodable-character",
        ) from None


def to_xlsx(table: Table) -> bytes:
    """Sheet 1 holds the table (machine-readable: header + rows); sheet 2 its provenance."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "表"
    sheet.append(list(table.columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append(list(row))
    info = workbook.create_sheet("出典")
    for item in table.provenance():
        info.append(list(item))
    _no_formulas(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _no_formulas(workbook: Any) -> None:
    """openpyxl stores a text starting with '=' as a formula; data must stay data (e.g. a group name)."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"


def export(table: Table, fmt: str, encoding: str = "utf-8") -> tuple[bytes, str, str]:
    """(content, media type, file name) for ``fmt`` = csv | xlsx."""
    if fmt == "csv":
        charset = "shift_jis" if encoding == "cp932" else "utf-8"
        return to_csv(table, encoding), f"text/csv; charset={charset}", f"{table.key}.csv"
    if fmt == "xlsx":
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return to_xlsx(table), media, f"{table.key}.xlsx"
    raise LgcloudError(f"形式「{fmt}」には対応していません（csv / xlsx）", code="bad-format")
