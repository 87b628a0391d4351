"""P2: full import into PostgreSQL vs a raw ``COPY FROM`` of already-clean CSV into unindexed tables.

The input is ``lgcloud demo-data generate`` output (cp932 CSV with vendor 外字, injected errors), imported with
``lgcloud.migration``: validate, quarantine, COPY into staging, merge into the residents tables (history with
its search keys and indexes, 異動 records, current pointers, households, extras) and reconcile. The anchor,
in the same run on the same server: ``COPY … FROM STDIN (FORMAT csv)`` of the same records as clean UTF-8
into tables of text columns with no index. Target: ≥ 0.5× the anchor's records/s.

    .venv/bin/python bench/bench_import.py               # quick (20,000 rows)
    LGCLOUD_BENCH_FULL=1 .venv/bin/python bench/bench_import.py   # 1,000,000 rows
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).parent))
from result import FULL, Result, reset_peak_rss, status_mb

from lgcloud.db import Database
from lgcloud.db.migrate import upgrade
from lgcloud.migration import io_testing

PG_ADMIN = os.environ.get("LGCLOUD_TEST_PG", "postgresql://postgres@localhost:5432/postgres")
ROWS = 1_000_000 if FULL else 20_000
LG_CODE = "182079"


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    with psycopg.connect(PG_ADMIN) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, "
            f"Python {platform.python_version()}, PostgreSQL {server} (local)")


@contextmanager
def throwaway_database() -> Iterator[tuple[str, str]]:
    name = f"lgcloud_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        owner = f"postgresql+psycopg://postgres@localhost:5432/{name}"
        upgrade(owner)
        yield owner, f"postgresql+psycopg://lgcloud_app@localhost:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_anchor(owner: str, files: dict[str, Path], encoding: str) -> tuple[float, int]:
    """Seconds and records for COPY of the same files (re-encoded to clean UTF-8) into unindexed tables."""
    clean = {}
    for name, path in files.items():
        target = path.with_suffix(".utf8.csv")
        target.write_text(path.read_bytes().decode(encoding, errors="replace"), encoding="utf-8")
        clean[name] = target
    dsn = owner.replace("postgresql+psycopg://", "postgresql://")
    records = 0
    with psycopg.connect(dsn) as conn:
        for name, path in clean.items():
            header = path.open(encoding="utf-8").readline().rstrip("\n").split(",")
            cols = ", ".join(f"c{i} text" for i in range(len(header)))
            conn.execute(f"CREATE TABLE anchor_{name} ({cols})")
            records += sum(1 for _ in path.open("rb")) - 1
        conn.commit()
        started = time.perf_counter()
        for name, path in clean.items():
            with conn.cursor() as cur, cur.copy(f"COPY anchor_{name} FROM STDIN (FORMAT csv, HEADER true)") as copy, \
                    path.open("rb") as fh:
                while block := fh.read(1 << 20):
                    copy.write(block)
        conn.commit()
        return time.perf_counter() - started, records


def main() -> int:
    print(f"P2 import: {ROWS:,} person rows, cp932 CSV with 外字 and 1% injected errors on {machine()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp, throwaway_database() as (owner, app):
        work = Path(tmp)
        gen = io_testing.generate_for(work / "gen", LG_CODE, ROWS, encoding="cp932", gaiji=0.01, errors=0.01, seed=1)
        db = Database(app, owner)
        io_testing.add_tenants(db, (LG_CODE,))
        io_testing.load_vendor_mapping(db, LG_CODE, gen.mapping)
        files = list(gen.files.values())
        before = reset_peak_rss()
        started = time.perf_counter()
        job = io_testing.import_files(db, LG_CODE, files, work / "jobs", source_system=io_testing.SOURCE_SYSTEM)
        seconds = time.perf_counter() - started
        assert job.state == "done", job.error
        records = job.records_total
        print(f"  import: {records:,} records ({job.loaded:,} loaded, {job.quarantined:,} quarantined) "
              f"in {seconds:.2f} s; RSS {before:,.0f} MB before, peak {status_mb('VmHWM'):,.0f} MB", flush=True)
        clean = io_testing.generate_for(work / "clean", LG_CODE, ROWS, encoding="cp932", gaiji=0.0, seed=1)
        anchor_seconds, anchor_records = copy_anchor(owner, clean.files, "cp932")
        print(f"  anchor COPY: {anchor_records:,} records in {anchor_seconds:.2f} s", flush=True)
        db.dispose()
    result = Result("P2 import", records / seconds, anchor_records / anchor_seconds, "records/s", 0.5)
    print(result.report())
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
