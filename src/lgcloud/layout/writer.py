"""Writers: a frame of string columns → bytes in a dialect (CSV/TSV or fixed-length, any encoding).

The frame is rendered once as UTF-8 by polars and encoded in one call; a character the target encoding
cannot hold raises :class:`EncodeError` naming the row, item and character (export chooses 縮退 or the
source's 外字 code *before* writing, so nothing is ever silently replaced).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import polars as pl

from lgcloud.errors import LgcloudError
from lgcloud.layout.codec import byte_length_pattern
from lgcloud.layout.dialect import Dialect
from lgcloud.layout.model import FileSpec
from lgcloud.layout.reader import BOM


class EncodeError(LgcloudError):
    code = "encode-error"


def _csv_text(df: pl.DataFrame, dialect: Dialect) -> str:
    newline = "\r\n" if dialect.line_end == "crlf" else "\n"
    if df.height == 0:
        return ""
    return df.write_csv(include_header=False, separator=dialect.sep, quote_char=dialect.quote or '"',
                        quote_style="necessary" if dialect.quote else "never", line_terminator=newline)


def _byte_len(col: pl.Expr, encoding: str) -> pl.Expr:
    pattern = byte_length_pattern(encoding)
    if pattern is None:
        return col.str.len_bytes()
    return col.str.len_chars() + col.str.count_matches(pattern)


def _fixed_text(df: pl.DataFrame, spec: FileSpec, dialect: Dialect, first_line: int) -> str:
    widths = {it.name: it.fixed_width(dialect.date_style) for it in spec.items}
    too_long = df.with_row_index("__row").select(
        "__row", *[(_byte_len(pl.col(n).fill_null(""), dialect.encoding) > w).alias(n) for n, w in widths.items()])
    bad = too_long.filter(pl.any_horizontal(pl.exclude("__row")))
    if bad.height:
        row = bad.row(0, named=True)
        item = next(n for n in widths if row[n])
        line = first_line + int(row["__row"])
        raise EncodeError(f"{line}行目の「{item}」が固定長の幅 {widths[item]} バイトを超えます", line=line, item=item)
    cols = []
    for name, width in widths.items():
        c = pl.col(name).fill_null("")
        cols.append(c.str.pad_end(pl.lit(width) - (_byte_len(c, dialect.encoding) - c.str.len_chars())))
    newline = {"lf": "\n", "crlf": "\r\n", "none": ""}[dialect.line_end]
    lines = df.select(pl.concat_str(cols).alias("r"))["r"]
    return newline.join(lines.to_list()) + (newline if df.height else "")


def render(df: pl.DataFrame, spec: FileSpec, dialect: Dialect, *, header: bool | None = None,
           first_line: int = 1) -> str:
    """The text of ``df`` (columns named as ``spec``'s items) in ``dialect``, before encoding. ``first_line``:
    the line number of the text's first line in its file, for messages (a file written in pieces)."""
    df = df.select([pl.col(n).cast(pl.String) for n in spec.names])
    if dialect.format == "fixed":
        return _fixed_text(df, spec, dialect, first_line)
    body = _csv_text(df, dialect)
    if header if header is not None else dialect.header:
        newline = "\r\n" if dialect.line_end == "crlf" else "\n"
        head = pl.DataFrame({n: [n] for n in spec.names})
        body = _csv_text(head, dialect).rstrip("\r\n") + newline + body
    return body


def encode(text: str, dialect: Dialect, first_line: int = 1) -> bytes:
    try:
        return text.encode(dialect.codec)
    except UnicodeEncodeError as exc:
        line = first_line + text.count("\n", 0, exc.start)
        ch = text[exc.start]
        raise EncodeError(f"{line}行目の文字「{ch}」(U+{ord(ch):04X})は {dialect.encoding} で表せません",
                          line=line, char=ch) from exc


def write_frame(df: pl.DataFrame, out: str | Path | BinaryIO, spec: FileSpec, dialect: Dialect, *,
                header: bool | None = None, bom: bool | None = None, first_line: int = 1) -> int:
    """Write ``df`` to a path or an open binary stream; return the number of bytes written. ``first_line``
    numbers the lines in error messages when ``df`` continues a file already begun."""
    data = encode(render(df, spec, dialect, header=header, first_line=first_line), dialect, first_line)
    if bom if bom is not None else dialect.encoding == "utf-8-sig":
        data = BOM + data
    if isinstance(out, str | Path):
        Path(out).write_bytes(data)
    else:
        out.write(data)
    return len(data)
