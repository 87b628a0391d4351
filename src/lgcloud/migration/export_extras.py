"""Export helper: apply the kept source items (``migration_extras``) over the derived items, fast.

Same result as :func:`lgcloud.migration.io_mapping.apply_extras`, but the JSON documents are decoded into a
struct holding only the items that some document actually names (usually a handful of the ~90), and only the
rows that have a document are decoded; the other columns pass through untouched.
"""

from __future__ import annotations

import json

import polars as pl


def apply_extras(derived: pl.DataFrame, extras: pl.Series) -> pl.DataFrame:
    """Override derived items with the kept source items (``extras`` is aligned with ``derived``)."""
    names = derived.columns
    extras = extras.cast(pl.String)
    if extras.null_count() == len(extras):
        return derived
    named = _named(extras.drop_nulls(), names)
    present = [n for n in names if n in named]
    if not present:
        return derived
    dtype = pl.Struct({"k": pl.List(pl.String), "v": pl.Struct({n: pl.String for n in present})})
    x = pl.col("__x")
    keys_ = x.struct.field("k")
    frame = derived.with_columns(extras.str.json_decode(dtype).alias("__x"))
    return frame.select([
        pl.when(keys_.list.contains(pl.lit(n)).fill_null(False)).then(x.struct.field("v").struct.field(n))
        .otherwise(pl.col(n)).alias(n) if n in present else pl.col(n)
        for n in names
    ])


def _named(docs: pl.Series, names: list[str]) -> set[str]:
    """The item names the documents' ``k`` lists hold (there are few distinct lists); all names if unsure."""
    lists = docs.str.extract(r'^\{"k":(\[[^\]]*\])', 1)
    if lists.null_count():
        return set(names)
    found: set[str] = set()
    try:
        for text in lists.unique().to_list():
            found.update(json.loads(text))
    except (ValueError, TypeError):
        return set(names)
    return found
