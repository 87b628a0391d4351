"""Streaming readers: legacy bytes → batches of string columns with exact record positions.

Each batch is at most ``batch_bytes`` of input, cut at a record boundary, so memory stays flat in the file
size. For every batch the reader

1. finds record boundaries in the raw bytes with numpy (quote-aware for CSV; fixed stride or line ends for
   fixed-length records),
2. decodes the batch itself (:func:`lgcloud.layout.codec.decode_marked`), remembering the byte offset of every
   undecodable byte,
3. hands UTF-8 to polars' CSV parser with every column as a string (fixed-length records are first turned
   into separator-delimited rows *in bytes*, so a bad byte never moves a field),
4. reports record-level problems (encoding, field count, record length, blank rows, header) as issue rows.

The frame of a batch has the layout's item names as columns plus ``__rec`` (0-based record number in the
file), ``__line`` (1-based physical line) and ``__off`` (byte offset of the record in the file).
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import io
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from lgcloud.layout.codec import REPLACEMENT, decode_marked
from lgcloud.layout.dialect import Dialect
from lgcloud.layout.model import FileSpec

ISSUE_SCHEMA = {
    "record": pl.Int64,
    "line": pl.Int64,
    "byte_offset": pl.Int64,
    "item": pl.String,
    "rule": pl.String,
    "value": pl.String,
    "message": pl.String,
}
FIXED_SEP = "\x1f"
T = TypeVar("T")
BOM = b"\xef\xbb\xbf"


@dataclass
class Batch:
    frame: pl.DataFrame
    issues: list[dict] = field(default_factory=list)
    #: (record, item) cells whose characters could not be read: other item rules skip them.
    bad_cells: list[tuple[int, str]] = field(default_factory=list)
    records: int = 0  # records read in this batch, including rejected ones
    bytes: int = 0
    #: records holding private-use or cp932-trap characters (None: not computed, check every row)
    special_records: np.ndarray | None = None


def issue(record: int, line: int, offset: int, item: str | None, rule: str, value: str | None, msg: str) -> dict:
    return {
        "record": record,
        "line": line,
        "byte_offset": offset,
        "item": item,
        "rule": rule,
        "value": value,
        "message": msg,
    }


def issues_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=ISSUE_SCHEMA, orient="row") if rows else pl.DataFrame(schema=ISSUE_SCHEMA)


# --------------------------------------------------------------------------------------------- CSV


def _terminators(arr: np.ndarray, quote: int | None) -> tuple[np.ndarray, np.ndarray]:
    """All LF positions, and those that end a record (LFs inside quoted fields do not)."""
    nl = np.flatnonzero(arr == 10)
    if quote is None or nl.size == 0:
        return nl, nl
    q = np.flatnonzero(arr == quote)
    if q.size == 0:
        return nl, nl
    return nl, nl[(np.searchsorted(q, nl) & 1) == 0]


@dataclass
class _Chunk:
    data: bytes
    base: int  # file offset of data[0]
    starts: np.ndarray  # record start positions in data
    ends: np.ndarray  # record end positions (exclusive, before CR/LF)
    lines: np.ndarray  # 1-based physical line of each record
    first_record: int


def _csv_chunks(path: Path, dialect: Dialect, batch_bytes: int, skip: int, first_line: int) -> Iterator[_Chunk]:
    quote = ord(dialect.quote) if dialect.quote else None
    record, line, base = 0, first_line, skip
    carry = b""
    with path.open("rb") as fh:
        fh.seek(skip)
        eof = False
        while not eof or carry:
            block = fh.read(batch_bytes) if not eof else b""
            eof = eof or not block
            buf = carry + block
            if not buf:
                break
            arr = np.frombuffer(buf, dtype=np.uint8)
            nl, term = _terminators(arr, quote)
            if eof:
                cut = len(buf)
                if term.size == 0 or term[-1] != len(buf) - 1:
                    term = np.append(term, len(buf))  # last record without LF
            elif term.size == 0:
                carry = buf
                continue
            else:
                cut = int(term[-1]) + 1
            data, carry = buf[:cut], buf[cut:]
            nl = nl[nl < cut]
            chunk = _make_chunk(data, arr[:cut], nl, term, base, record, line)
            yield chunk
            record += chunk.starts.size
            line += nl.size
            base += cut


def _make_chunk(
    data: bytes, arr: np.ndarray, nl: np.ndarray, term: np.ndarray, base: int, record: int, line: int
) -> _Chunk:
    starts = np.concatenate(([0], term[:-1] + 1)).astype(np.int64)
    ends = term.astype(np.int64).copy()
    if ends.size:
        last = min(int(ends[-1]), len(data))
        ends[-1] = last
        has_cr = (ends > starts) & (arr[np.maximum(ends - 1, 0)] == 13)
        ends = ends - has_cr
    if nl.size == int(np.count_nonzero(term < len(data))):  # no quoted line breaks: record i is line i
        lines = line + np.arange(starts.size, dtype=np.int64)
    else:  # count LFs before each record start
        lines = line + np.searchsorted(nl, starts).astype(np.int64)
    return _Chunk(data, base, starts, ends, lines, record)


def _parse_utf8(payload: bytes, names: list[str], sep: str, quote: str | None) -> pl.DataFrame:
    schema = {n: pl.String for n in names}
    if not payload:
        return pl.DataFrame(schema=schema)
    return pl.read_csv(
        payload,
        has_header=False,
        separator=sep,
        quote_char=quote,
        schema=schema,
        truncate_ragged_lines=True,
        raise_if_empty=False,
        null_values=[""],
    )


def special_rows(payload: bytes, quote: str | None, encoding: str = "utf-8") -> np.ndarray:
    """Indexes of the rows of a UTF-8 payload holding private-use characters or U+0080/U+F8F0–F8F3.

    One numpy pass over the bytes: U+E000–EFFF start with EE, U+F000–F8FF with EF 80–A3, planes 15–16 with
    F3 B0–BF / F4 80–8F, U+0080 is C2 80.
    """
    hit = _special_bytes_numpy(payload)
    if hit.size == 0:
        return hit
    if quote is None or quote.encode() not in payload:
        return np.unique(_lines_before(payload, hit))
    _nl, term = _terminators(np.frombuffer(payload, dtype=np.uint8), ord(quote))
    return np.unique(np.searchsorted(term, hit))


def _special_bytes_numpy(payload: bytes) -> np.ndarray:
    arr = np.frombuffer(payload, dtype=np.uint8)
    cand = np.flatnonzero(arr >= 0xEE)
    if b"\xc2" in payload:  # memchr: searching for C2 80 itself is slow in Japanese UTF-8 (80 is everywhere)
        cand = np.union1d(cand, np.flatnonzero(arr == 0xC2))
    if cand.size == 0:
        return cand
    nxt = arr[np.minimum(cand + 1, arr.size - 1)]
    lead = arr[cand]
    return cand[
        (lead == 0xEE)
        | ((lead == 0xEF) & (nxt <= 0xA3))
        | ((lead == 0xF3) & (nxt >= 0xB0))
        | ((lead == 0xF4) & (nxt <= 0x8F))
        | ((lead == 0xC2) & (nxt == 0x80))
    ]


def _lines_before(data: bytes, positions: np.ndarray) -> np.ndarray:
    """Number of LFs before each (sorted) position, counted incrementally with ``bytes.count``."""
    out = np.empty(positions.size, dtype=np.int64)
    seen, prev = 0, 0
    for i, pos in enumerate(positions.tolist()):
        seen += data.count(b"\n", prev, pos)
        prev = pos
        out[i] = seen
    return out


def _field_counts(data: bytes, chunk: _Chunk, sep: str, quote: str | None) -> np.ndarray:
    """Fields per record, counting separators outside quotes."""
    arr = np.frombuffer(data, dtype=np.uint8)
    s = np.flatnonzero(arr == ord(sep))
    if quote is None or ord(quote) not in arr:
        return np.diff(np.searchsorted(s, np.append(chunk.starts, len(data)))) + 1
    q = np.flatnonzero(arr == ord(quote))
    s = s[(np.searchsorted(q, s) & 1) == 0]
    rec = np.searchsorted(chunk.starts, s, side="right") - 1
    return np.bincount(rec, minlength=chunk.starts.size) + 1


def _decode_csv_chunk(chunk: _Chunk, fspec: FileSpec, dialect: Dialect, file_issues: list[dict]) -> Batch:
    fast = _fast_csv_chunk(chunk, fspec, dialect, file_issues)
    if fast is not None:
        return fast
    return _exact_csv_chunk(chunk, fspec, dialect, file_issues)


def _exact_csv_chunk(chunk: _Chunk, fspec: FileSpec, dialect: Dialect, file_issues: list[dict]) -> Batch:
    """Decode the whole batch with exact error positions, then parse the UTF-8 with polars."""
    names = fspec.names
    text, bad = decode_marked(chunk.data, dialect.codec, chunk.starts.tolist())
    payload = text.encode("utf-8")
    del text  # the UTF-8 payload is all we need from here on
    try:
        frame = _parse_utf8(payload, names, dialect.sep, dialect.quote)
    except pl.exceptions.PolarsError:
        frame = None
    if frame is None or frame.height != chunk.starts.size:
        return _slow_csv_chunk(chunk, fspec, dialect, bad)
    issues = list(file_issues)
    keep = None
    if not _counts_ok(frame, payload, dialect, names):
        keep = _field_count_issues(chunk, dialect, len(names), issues)
        frame = frame.filter(pl.Series(keep))
    records = chunk.first_record + (np.arange(chunk.starts.size) if keep is None else np.flatnonzero(keep))
    if keep is not None:
        bad = [(s, e) for s, e in bad if keep[_record_of(chunk.starts, s)]]
    batch = _finish(frame, chunk, bad, dialect, issues, records=records)
    special = special_rows(payload, dialect.quote, dialect.encoding)
    if keep is not None:
        special = special[keep[special]]
    batch.special_records = chunk.first_record + special
    return batch


# ------------------------------------------------------------------------------ CSV fast path
#
# For Shift_JIS-family encodings every byte of a multi-byte character after the first is ≥ 0x40, so it can
# never be a separator, quote, CR or LF: the raw bytes can be split into fields *before* decoding (pyarrow's
# multithreaded CSV parser, every column a string without UTF-8 validation). Pure-ASCII columns are then
# already UTF-8; every other column is decoded as one buffer with LF between values, and its offsets rebuilt
# from the LF positions. Decoding field by field gives exactly what decoding the whole record gives: the
# characters never straddle a delimiter, and an invalid byte before a delimiter (< 0x40) is an error of that
# byte alone in both cases (see tests/layout/test_layout_fastpath.py). Batches the fast path does not cover
# (quotes, bare CR, other encodings, anything pyarrow rejects) take the exact path above.

#: Codecs whose multi-byte characters never contain a byte below 0x40.
FAST_CODECS = ("cp932", "shift_jis_2004")
#: Switch for tests: False sends every batch down the exact path.
FAST_CSV = True


def _fast_csv_chunk(chunk: _Chunk, fspec: FileSpec, dialect: Dialect, file_issues: list[dict]) -> Batch | None:
    names = fspec.names
    width = len(names)
    data = chunk.data
    sep = dialect.sep.encode()
    if (
        not FAST_CSV
        or dialect.codec not in FAST_CODECS
        or width < 2
        or len(sep) != 1
        or sep[0] >= 0x40
        or sep in b"\r\n"
        or (dialect.quote and dialect.quote.encode() in data)
        or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n"))
    ):
        return None
    issues = list(file_issues)
    n = int(chunk.starts.size)
    kept = np.arange(n)
    body = data
    if int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == sep[0])) != n * (width - 1):
        keep = _field_count_issues(chunk, dialect, width, issues)
        kept = np.flatnonzero(keep)
        if kept.size == 0:
            return None
        if kept.size != n:  # cut the rejected records out (whole, with their line ends)
            bounds = np.append(chunk.starts, len(data))
            gone = np.flatnonzero(~keep)
            cuts = [0, *[int(x) for i in gone.tolist() for x in (bounds[i], bounds[i + 1])], len(data)]
            body = b"".join(data[cuts[k] : cuts[k + 1]] for k in range(0, len(cuts), 2))
            if not body.endswith(b"\n"):
                body += b"\n"
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(column_names=[f"c{j}" for j in range(width)]),
            parse_options=pacsv.ParseOptions(delimiter=dialect.sep, quote_char=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={f"c{j}": pa.string() for j in range(width)}, check_utf8=False, strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != kept.size:
        return None
    arrays = []
    bad_rows: list[np.ndarray] = []
    special: list[np.ndarray] = []
    for j in range(width):
        arr = _fast_column(table.column(j), dialect.codec, bad_rows, special)
        if arr is None:
            return None
        arrays.append(arr)
    frame = pl.from_arrow(pa.Table.from_arrays(arrays, names=names), rechunk=False)
    assert isinstance(frame, pl.DataFrame)
    bad: list[tuple[int, int]] = []
    for i in np.unique(np.concatenate(bad_rows)).tolist() if bad_rows else []:
        s, e = int(chunk.starts[kept[i]]), int(chunk.ends[kept[i]])
        _text, spans = decode_marked(data[s:e], dialect.codec)
        bad += [(s + a, s + b) for a, b in spans]
    batch = _finish(frame, chunk, bad, dialect, issues, records=chunk.first_record + kept)
    rows = np.unique(np.concatenate(special)) if special else np.zeros(0, dtype=np.int64)
    batch.special_records = chunk.first_record + kept[rows]
    return batch


def _fast_column(col: pa.ChunkedArray, codec: str, bad_rows: list, special: list) -> pa.Array | None:
    """One column of raw (undecoded) strings → a UTF-8 string array with empty values as nulls.

    Appends to ``bad_rows`` the rows holding undecodable bytes and to ``special`` the rows holding
    private-use or cp932-trap characters."""
    arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    n = len(arr)
    buffers = arr.buffers()
    offs = np.frombuffer(buffers[1], dtype=np.int32)[arr.offset : arr.offset + n + 1]
    data = (
        np.frombuffer(buffers[2], dtype=np.uint8)[offs[0] : offs[-1]]
        if buffers[2] is not None
        else np.zeros(0, dtype=np.uint8)
    )
    if data.size and data.max() >= 0x80:
        values = pa.ListArray.from_arrays(pa.array([0, n], pa.int32()), arr.view(pa.binary()))
        raw = memoryview(pc.binary_join(values, b"\n")[0].as_buffer())  # the values with LF between them
        try:
            text = str(raw, codec)
        except UnicodeDecodeError:
            text, spans = decode_marked(bytes(raw), codec, (offs[1:-1] - offs[0] + np.arange(1, n)).tolist())
            seps = offs[1:-1] - offs[0] + np.arange(n - 1)  # where the LF after each value but the last is
            bad_rows.append(np.searchsorted(seps, np.array([s for s, _e in spans], dtype=np.int64)))
        encoded = text.encode("utf-8")
        del text
        utf8 = np.frombuffer(encoded, dtype=np.uint8)
        lf = np.flatnonzero(utf8 == 10)
        if lf.size != n - 1:
            return None
        hit = _special_bytes_numpy(encoded)
        if hit.size:
            special.append(np.searchsorted(lf, hit))
        offs = np.empty(n + 1, dtype=np.int32)
        offs[0] = 0
        offs[1:-1] = lf - np.arange(n - 1)
        offs[-1] = utf8.size - (n - 1)
        data = utf8[utf8 != 10]
    elif arr.offset or offs[0]:
        offs = offs - offs[0]
    valid = np.diff(offs) > 0
    nulls = n - int(np.count_nonzero(valid))
    mask = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    return pa.StringArray.from_buffers(n, pa.py_buffer(offs), pa.py_buffer(data), mask, nulls)


def _counts_ok(frame: pl.DataFrame, payload: bytes, dialect: Dialect, names: list[str]) -> bool:
    total = payload.count(dialect.sep.encode())
    if dialect.quote and dialect.quote.encode() in payload:
        inside = frame.select(
            pl.sum_horizontal(pl.col(n).str.count_matches(dialect.sep, literal=True).sum() for n in names)
        ).item()
        total -= int(inside or 0)
    return total == frame.height * (len(names) - 1)


def _field_count_issues(chunk: _Chunk, dialect: Dialect, width: int, issues: list[dict]) -> np.ndarray:
    """Reject records with the wrong number of fields (or blank): issue rows, and the keep mask."""
    counts = _field_counts(chunk.data, chunk, dialect.sep, dialect.quote)
    keep = np.ones(chunk.starts.size, dtype=bool)
    for i in np.flatnonzero(counts != width):
        s, e = int(chunk.starts[i]), int(chunk.ends[i])
        rec, line, off = chunk.first_record + int(i), int(chunk.lines[i]), chunk.base + s
        keep[i] = False
        if e <= s:
            issues.append(issue(rec, line, off, None, "blank-row", "", "空行です"))
        else:
            raw = chunk.data[s:e].decode(dialect.codec, errors="replace")
            issues.append(
                issue(
                    rec,
                    line,
                    off,
                    None,
                    "field-count",
                    raw[:200],
                    f"項目数が {int(counts[i])} です(レイアウトは {width} 項目)",
                )
            )
    return keep


def _slow_csv_chunk(chunk: _Chunk, fspec: FileSpec, dialect: Dialect, bad: list) -> Batch:
    """The parser disagreed with our record boundaries: split records ourselves, reject bad ones, parse the rest."""
    names = fspec.names
    issues: list[dict] = []
    keep = _field_count_issues(chunk, dialect, len(names), issues)
    kept = np.flatnonzero(keep)
    pieces = [chunk.data[int(chunk.starts[i]) : int(chunk.ends[i])] for i in kept]
    sub = _Chunk(
        b"\n".join(pieces) + (b"\n" if pieces else b""),
        chunk.base,
        chunk.starts[kept],
        chunk.ends[kept],
        chunk.lines[kept],
        chunk.first_record,
    )
    text2, _ = decode_marked(sub.data, dialect.codec, [0])
    payload = text2.encode("utf-8")
    frame = _parse_utf8(payload, names, dialect.sep, dialect.quote)
    recs = chunk.first_record + kept
    bad_kept = [(s, e) for s, e in bad if keep[_record_of(chunk.starts, s)]]
    batch = _finish(frame, chunk, bad_kept, dialect, issues, records=recs)
    batch.records = int(chunk.starts.size)
    batch.special_records = recs[special_rows(payload, dialect.quote, dialect.encoding)]
    return batch


def _record_of(starts: np.ndarray, pos: int) -> int:
    return int(np.searchsorted(starts, pos, side="right") - 1)


def _finish(
    frame: pl.DataFrame,
    chunk: _Chunk,
    bad: list,
    dialect: Dialect,
    issues: list[dict],
    records: np.ndarray | None = None,
) -> Batch:
    if records is None:
        records = chunk.first_record + np.arange(chunk.starts.size, dtype=np.int64)
    idx = records - chunk.first_record
    frame = frame.with_columns(
        pl.Series("__rec", records, dtype=pl.Int64),
        pl.Series("__line", chunk.lines[idx], dtype=pl.Int64),
        pl.Series("__off", chunk.base + chunk.starts[idx], dtype=pl.Int64),
    )
    batch = Batch(frame, issues, records=int(chunk.starts.size), bytes=len(chunk.data))
    if bad:
        _csv_bad_bytes(batch, chunk, bad, records)
    return batch


def _csv_bad_bytes(batch: Batch, chunk: _Chunk, bad: list, records: np.ndarray) -> None:
    """One ``encoding`` issue per (record, item) holding U+FFFD, at the first bad byte of that record."""
    pos = np.array([s for s, _e in bad], dtype=np.int64)
    ends = np.array([e for _s, e in bad], dtype=np.int64)
    idx = np.searchsorted(chunk.starts, pos, side="right") - 1
    first = np.unique(idx, return_index=True)[1]
    per_rec = pl.DataFrame(
        {"__rec": chunk.first_record + idx[first], "__pos": pos[first], "__end": ends[first], "__ci": idx[first]}
    )
    names = [c for c in batch.frame.columns if not c.startswith("__")]
    rows = batch.frame.join(per_rec, on="__rec", how="inner")
    cells = (
        rows.select(
            "__rec",
            *[pl.when(pl.col(n).str.contains(REPLACEMENT, literal=True)).then(pl.col(n)).alias(n) for n in names],
        )
        .unpivot(index="__rec", variable_name="__item", value_name="__value")
        .drop_nulls("__value")
        .join(per_rec, on="__rec")
        .sort("__rec", maintain_order=True)
    )
    for row in cells.iter_rows(named=True):
        _add_bad(batch, chunk, row, row["__item"], row["__value"])
    missing = per_rec.join(cells.select("__rec"), on="__rec", how="anti")
    for row in missing.iter_rows(named=True):
        _add_bad(batch, chunk, row, None, None)


def _add_bad(batch: Batch, chunk: _Chunk, row: dict, name: str | None, value: str | None) -> None:
    s, e, ci = int(row["__pos"]), int(row["__end"]), int(row["__ci"])
    raw = chunk.data[s:e].hex(" ").upper()
    offset = chunk.base + s
    batch.issues.append(
        issue(
            int(row["__rec"]),
            int(chunk.lines[ci]),
            offset,
            name,
            "encoding",
            value if name else raw,
            f"文字コードとして読めないバイト {raw} (ファイル先頭から {offset} バイト目)",
        )
    )
    if name:
        batch.bad_cells.append((int(row["__rec"]), name))


# ---------------------------------------------------------------------------------- fixed length


@dataclass(frozen=True)
class FixedGeometry:
    names: list[str]
    widths: list[int]
    offsets: list[int]
    reclen: int

    @classmethod
    def of(cls, fspec: FileSpec, dialect: Dialect) -> FixedGeometry:
        widths = [it.fixed_width(dialect.date_style) for it in fspec.items]
        offsets = list(np.concatenate(([0], np.cumsum(widths)[:-1])).astype(int))
        return cls(fspec.names, widths, offsets, int(sum(widths)))

    def expand_maps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Source byte columns, their destination columns, and separator columns in the expanded row."""
        src, dst, seps = [], [], []
        pos = 0
        for off, w in zip(self.offsets, self.widths, strict=True):
            src.extend(range(off, off + w))
            dst.extend(range(pos, pos + w))
            pos += w
            seps.append(pos)
            pos += 1
        return np.array(src), np.array(dst), np.array(seps)

    def field_at(self, expanded_pos: int) -> tuple[int, int]:
        """Field index and raw byte position inside the record for a position in an expanded row."""
        pos = expanded_pos
        for j, w in enumerate(self.widths):
            if pos < w:
                return j, self.offsets[j] + pos
            pos -= w + 1
        return len(self.widths) - 1, self.reclen - 1


def _fixed_records(path: Path, geo: FixedGeometry, dialect: Dialect, batch_bytes: int) -> Iterator[_Chunk]:
    """Records of a fixed-length file: by line end when there is one, else by stride."""
    if dialect.line_end != "none":
        yield from _csv_chunks(path, replace(dialect, quote=None), batch_bytes, 0, 1)
        return
    per = max(1, batch_bytes // geo.reclen)
    record, base = 0, 0
    with path.open("rb") as fh:
        while data := fh.read(per * geo.reclen):
            n = -(-len(data) // geo.reclen)
            starts = np.arange(n, dtype=np.int64) * geo.reclen
            ends = np.minimum(starts + geo.reclen, len(data))
            yield _Chunk(data, base, starts, ends, record + 1 + np.arange(n, dtype=np.int64), record)
            record += n
            base += len(data)


def _decode_fixed_chunk(chunk: _Chunk, geo: FixedGeometry, dialect: Dialect) -> Batch:
    lengths = chunk.ends - chunk.starts
    good = lengths == geo.reclen
    issues = [
        issue(
            chunk.first_record + int(i),
            int(chunk.lines[i]),
            chunk.base + int(chunk.starts[i]),
            None,
            "record-length" if lengths[i] else "blank-row",
            chunk.data[int(chunk.starts[i]) : int(chunk.ends[i])].decode(dialect.codec, "replace")[:200],
            f"レコード長が {int(lengths[i])} バイトです(レイアウトは {geo.reclen} バイト)",
        )
        for i in np.flatnonzero(~good)
    ]
    idx = np.flatnonzero(good)
    rows = _fixed_matrix(chunk, idx, geo)
    src, dst, seps = geo.expand_maps()
    out = np.empty((idx.size, geo.reclen + len(geo.widths)), dtype=np.uint8)
    out[:, dst] = rows[:, src] if idx.size else rows
    ctrl = np.flatnonzero(((out[:, dst] == 0x1F) | (out[:, dst] == 0x0A) | (out[:, dst] == 0x0D)).any(axis=1))
    out[:, seps[:-1]] = 0x1F
    out[:, seps[-1]] = 0x0A
    bad_cells: list[tuple[int, str]] = []
    for r in ctrl:  # control bytes that would break the row apart: report and blank them out
        cols = np.flatnonzero(np.isin(out[r, dst], (0x1F, 0x0A, 0x0D)))
        j, inpos = geo.field_at(int(dst[cols[0]]))
        rec = chunk.first_record + int(idx[r])
        issues.append(
            issue(
                rec,
                int(chunk.lines[idx[r]]),
                chunk.base + int(chunk.starts[idx[r]]) + inpos,
                geo.names[j],
                "encoding",
                None,
                "固定長レコードに制御文字(改行等)が含まれています",
            )
        )
        bad_cells.append((rec, geo.names[j]))
        row = out[r, dst]
        row[np.isin(row, (0x1F, 0x0A, 0x0D))] = 0x20
        out[r, dst] = row
    text, bad = decode_marked(out.tobytes(), dialect.codec, list(range(0, out.size, out.shape[1] or 1)))
    payload = text.encode("utf-8")
    frame = _parse_utf8(payload, geo.names, FIXED_SEP, None)
    records = chunk.first_record + idx
    frame = frame.with_columns(
        pl.Series("__rec", records, dtype=pl.Int64),
        pl.Series("__line", chunk.lines[idx], dtype=pl.Int64),
        pl.Series("__off", chunk.base + chunk.starts[idx], dtype=pl.Int64),
    )
    batch = Batch(frame, issues, bad_cells, records=int(chunk.starts.size), bytes=len(chunk.data))
    batch.special_records = records[special_rows(payload, None, dialect.encoding)]
    stride = out.shape[1]
    seen: set[tuple[int, int]] = set()
    for s, e in bad:
        r, j_pos = divmod(s, stride)
        j, inpos = geo.field_at(j_pos)
        if (r, j) in seen:
            continue
        seen.add((r, j))
        rec = chunk.first_record + int(idx[r])
        offset = chunk.base + int(chunk.starts[idx[r]]) + inpos
        raw = out.reshape(-1)[s:e].tobytes().hex(" ").upper()
        batch.issues.append(
            issue(
                rec,
                int(chunk.lines[idx[r]]),
                offset,
                geo.names[j],
                "encoding",
                frame[r, geo.names[j]],
                f"文字コードとして読めないバイト {raw} (ファイル先頭から {offset} バイト目)",
            )
        )
        batch.bad_cells.append((rec, geo.names[j]))
    return batch


def _fixed_matrix(chunk: _Chunk, idx: np.ndarray, geo: FixedGeometry) -> np.ndarray:
    arr = np.frombuffer(chunk.data, dtype=np.uint8)
    if idx.size == 0:
        return np.empty((0, geo.reclen), dtype=np.uint8)
    starts = chunk.starts[idx]
    step = int(starts[1] - starts[0]) if starts.size > 1 else geo.reclen
    if step >= geo.reclen and np.all(np.diff(starts) == step) and starts[0] + step * starts.size <= arr.size + step:
        tail = int(starts[0]) + step * starts.size
        if tail <= arr.size:
            return arr[int(starts[0]) : tail].reshape(starts.size, step)[:, : geo.reclen]
    return np.stack([arr[int(s) : int(s) + geo.reclen] for s in starts])


# --------------------------------------------------------------------------------------- public


def _skip_header(path: Path, fspec: FileSpec, dialect: Dialect) -> tuple[int, int, list[dict]]:
    """Byte offset after the BOM/header, the first data line, and header issues."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    skip = len(BOM) if head.startswith(BOM) and dialect.encoding.startswith("utf-8") else 0
    if not dialect.header:
        return skip, 1, []
    end = head.find(b"\n", skip)
    end = len(head) if end < 0 else end
    raw = head[skip:end].rstrip(b"\r")
    text = raw.decode(dialect.codec, errors="replace")
    found = next(csv.reader(io.StringIO(text), delimiter=dialect.sep, quotechar=dialect.quote or '"'), [])
    issues = []
    if found != fspec.names:
        diff = [
            f"{i + 1}列目「{a}」≠「{b}」" for i, (a, b) in enumerate(zip(found, fspec.names, strict=False)) if a != b
        ][:3]
        issues.append(
            issue(
                -1,
                1,
                skip,
                None,
                "header",
                text[:200],
                f"見出し行がレイアウトと一致しません({len(found)}項目/レイアウト{len(fspec.names)}項目) "
                + " ".join(diff),
            )
        )
    return end + 1, 2, issues


def iter_batches(
    path: str | Path, fspec: FileSpec, dialect: Dialect, *, batch_bytes: int = 8 << 20, prefetch: bool = True
) -> Iterator[Batch]:
    """Read ``path`` as ``fspec`` written in ``dialect``, one :class:`Batch` at a time."""
    path = Path(path)
    batches = _batches(path, fspec, dialect, batch_bytes)
    return prefetched(batches) if prefetch else batches


def _batches(path: Path, fspec: FileSpec, dialect: Dialect, batch_bytes: int) -> Iterator[Batch]:
    if dialect.format == "fixed":
        geo = FixedGeometry.of(fspec, dialect)
        for chunk in _fixed_records(path, geo, dialect, batch_bytes):
            yield _decode_fixed_chunk(chunk, geo, dialect)
        return
    skip, first_line, header_issues = _skip_header(path, fspec, dialect)
    for chunk in _csv_chunks(path, dialect, batch_bytes, skip, first_line):
        yield _decode_csv_chunk(chunk, fspec, dialect, header_issues)
        header_issues = []
    if header_issues:  # a file with nothing but a wrong (or missing) header
        schema = {**{n: pl.String for n in fspec.names}, "__rec": pl.Int64, "__line": pl.Int64, "__off": pl.Int64}
        yield Batch(pl.DataFrame(schema=schema), header_issues, special_records=np.zeros(0, dtype=np.int64))


def release_memory() -> None:
    """Give memory the allocators cache from finished batches back to the system: pyarrow's pool, and glibc's
    heaps (the decoded text and numpy temporaries of the reader), where ``malloc_trim`` exists."""
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def prefetched(source: Iterator[T], depth: int = 1) -> Iterator[T]:
    """Produce the next item in a thread while the caller works on this one (polars releases the GIL): the
    reader decodes the next batch while the validator checks this one; the export reads its next chunk."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work() -> None:
        try:
            for item in source:
                if stop.is_set():
                    return
                q.put(item)
            q.put(done)
        except BaseException as exc:  # hand the error to the consumer
            q.put(exc)

    thread = threading.Thread(target=work, daemon=True, name="lgcloud-reader")
    thread.start()
    try:
        while (item := q.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.05)
