"""P3: export of a municipality (全件, cp932, the source's 外字 codes) vs pyarrow's CSV writer on the same rows.

A generated municipality is imported into PostgreSQL (not timed), then ``lgcloud migrate export`` writes the
person, 外国人 and household files (reading the registry with ``COPY … TO``, deriving every item, applying the
kept source items, formatting dates, encoding to cp932 with vendor 外字 codes). The anchor, in the same run:
``pyarrow.csv.write_csv`` of the very rows exported (as UTF-8 string columns, already in memory).
Target: ≥ 0.5× the anchor's rows/s. Also printed: the export's peak RSS (it writes 25,000 persons at a time, so
the peak should not grow with the municipality).

    .venv/bin/python bench/bench_export.py               # quick (20,000 rows)
    LGCLOUD_BENCH_FULL=1 .venv/bin/python bench/bench_export.py   # 1,000,000 rows
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import polars as pl
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).parent))
from bench_import import LG_CODE, ROWS, machine, throwaway_database
from result import Result, reset_peak_rss, status_mb

from lgcloud.db import Database
from lgcloud.migration import io_testing


def main() -> int:
    print(f"P3 export: {ROWS:,} person rows (cp932, vendor 外字) on {machine()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp, throwaway_database() as (owner, app):
        work = Path(tmp)
        gen = io_testing.generate_for(work / "gen", LG_CODE, ROWS, encoding="cp932", gaiji=0.01, seed=1)
        db = Database(app, owner)
        io_testing.add_tenants(db, (LG_CODE,))
        io_testing.load_vendor_mapping(db, LG_CODE, gen.mapping)
        job = io_testing.import_files(db, LG_CODE, list(gen.files.values()), work / "jobs",
                                      source_system=io_testing.SOURCE_SYSTEM)
        assert job.state == "done", job.error
        before = reset_peak_rss()
        started = time.perf_counter()
        result = io_testing.export_to(db, LG_CODE, work / "export", unencodable="vendor",
                                      source_system=io_testing.SOURCE_SYSTEM)
        seconds = time.perf_counter() - started
        rows = sum(result.counts.values())
        print(f"  export: {rows:,} rows ({result.counts}) in {seconds:.2f} s, {result.degraded} 外字 codes; "
              f"RSS {before:,.0f} MB before, peak {status_mb('VmHWM'):,.0f} MB", flush=True)
        tables = [pl.read_csv(p, encoding="cp932", infer_schema=False).to_arrow() for p in result.files.values()]
        started = time.perf_counter()
        for i, table in enumerate(tables):
            pacsv.write_csv(table, str(work / f"anchor{i}.csv"))
        anchor = time.perf_counter() - started
        print(f"  anchor pyarrow write_csv: {sum(t.num_rows for t in tables):,} rows in {anchor:.2f} s", flush=True)
        db.dispose()
    outcome = Result("P3 export", rows / seconds, sum(t.num_rows for t in tables) / anchor, "rows/s", 0.5)
    print(outcome.report())
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
