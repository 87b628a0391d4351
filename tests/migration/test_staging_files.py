"""Query results streamed to a file and read back block by block: the values come back exactly."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from lgcloud.migration import staging


def test_a_query_written_to_a_file_reads_back_block_by_block_with_nulls_and_odd_characters(  # type: ignore[no-untyped-def]
        database, tenants, tmp_path: Path) -> None:
    values = ['引用符"と,カンマ', "改行\nを含む", "", "\u9f8d\U000e0100", None]
    sql = " UNION ALL ".join(f"SELECT {i} AS n, :v{i} AS v" for i in range(len(values)))
    with database.session(tenants.a) as session:
        path = staging.query_to_file(session, sql, {f"v{i}": v for i, v in enumerate(values)}, tmp_path / "q")
    blocks = list(staging.iter_file(path, block_bytes=64))
    assert len(blocks) > 1  # a small block size: several blocks, none splitting a quoted newline
    rows = pl.concat(blocks).sort(pl.col("n").cast(pl.Int64))
    assert rows.columns == ["n", "v"] and rows["v"].to_list() == values
