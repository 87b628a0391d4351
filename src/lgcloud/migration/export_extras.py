"""Export helper: apply the kept source items (``migration_extras``) over the derived items, fast.

Same result as :func:`lgcloud.migration.io_mapping.apply_extras`. Documents are written by
:func:`lgcloud.migration.io_mapping.extras_json` as ``{"k":[names],"v":{name: value}}``; there are few
distinct ``k`` lists, so which rows override which item is decided once per distinct list, and the documents
are parsed by pyarrow's multi-threaded JSON reader into a struct of only the items some list names.
Documents of another shape fall back to polars' decoder of the whole document.
"""

from __future__ import annotations

import io
import json

import polars as pl
import pyarrow as pa
import pyarrow.json as pa_json

from lgcloud.migration import io_mapping

#: The ``k`` list at the start of a document, as ``extras_json`` writes it.
KEYS_PREFIX = r'^\{"k":(\[[^\]]*\]),"v":\{'


def apply_extras(derived: pl.DataFrame, extras: pl.Series) -> pl.DataFrame:
    """Override derived items with the kept source items (``extras`` is aligned with ``derived``)."""
    names = derived.columns
    extras = extras.cast(pl.String)
    if extras.null_count() == len(extras):
        return derived
    lists = extras.str.extract(KEYS_PREFIX, 1)
    named = _lists(lists)
    if named is None or lists.null_count() != extras.null_count() or extras.str.contains("\n", literal=True).any():
        return _apply_decoded(derived, extras)
    present = [n for n in names if any(n in keys for keys in named.values())]
    if not present:
        return derived
    try:
        values = _values(extras, present)
    except pa.ArrowInvalid:  # e.g. a value that is not a string
        return _apply_decoded(derived, extras)
    return derived.with_columns(
        [
            pl.when(lists.is_in([text for text, keys in named.items() if n in keys]).fill_null(False))
            .then(values.get_column(n))
            .otherwise(pl.col(n))
            .alias(n)
            for n in present
        ]
    )


def _lists(lists: pl.Series) -> dict[str, set[str]] | None:
    """Each distinct ``k`` list's text → its item names; None if one is not a JSON list of strings."""
    named = {}
    try:
        for text in lists.drop_nulls().unique().to_list():
            keys = json.loads(text)
            if not all(isinstance(k, str) for k in keys):
                return None
            named[text] = set(keys)
    except (ValueError, TypeError):
        return None
    return named


def _values(extras: pl.Series, present: list[str]) -> pl.DataFrame:
    """The ``v`` items of every document (null where a row has none), parsed as newline-delimited JSON."""
    buffer = io.BytesIO()
    # a row without a document is an empty object; JSON text never holds a raw newline (checked by the caller)
    pl.DataFrame({"x": extras.fill_null("{}")}).write_csv(buffer, include_header=False, quote_style="never")
    schema = pa.schema([("v", pa.struct([(n, pa.string()) for n in present]))])
    parse = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    read = pa_json.ReadOptions(block_size=max(1 << 20, 2 * (extras.str.len_bytes().max() or 0)))  # a line per block
    buffer.seek(0)
    table = pa_json.read_json(buffer, read_options=read, parse_options=parse)
    return pl.Series(table.column("v")).struct.unnest()


def _apply_decoded(derived: pl.DataFrame, extras: pl.Series) -> pl.DataFrame:
    """Any document shape: the reference, which decodes each whole document (``k`` list and all items)."""
    return io_mapping.apply_extras(derived, extras)
