"""P1: validation speed; P4: peak memory of a large validation (issue 5).

P1 — ``lgcloud migrate validate`` (layout ``juki``, person file: 66 columns, cp932, with vendor 外字 and a few
injected errors) in rows/s, against the anchor measured in the same run: pyarrow's raw ``read_csv`` (parse and
type inference, no checks) of the same content re-encoded as UTF-8. Target ≥ 0.8×. Each side is timed twice,
interleaved, and the better time kept (the machine may be shared).

P4 — peak RSS of a fresh process validating a 4,000,000-row file of the same kind. Target ≤ 1.5 GB.

    .venv/bin/python bench/bench_validate.py                        # quick: 200,000 / 400,000 rows
    LGCLOUD_BENCH_FULL=1 .venv/bin/python bench/bench_validate.py   # 1,000,000 / 4,000,000 rows
    .venv/bin/python bench/bench_validate.py --rows 1000000 --p4-rows 0 --keep /tmp/bench-validate
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from result import FULL, Result

P4_LIMIT_MB = 1.5 * 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _generate(rows: int, out: Path) -> Path:
    from lgcloud.migration.generate import GenerateOptions, generate

    person = out / "person.csv"
    if person.exists() and (out / "rows.txt").exists() and (out / "rows.txt").read_text() == str(rows):
        return out
    started = time.perf_counter()
    generate(GenerateOptions(rows=rows, out=out, encoding="cp932", errors=0.0005, gaiji=0.02, seed=1))
    (out / "rows.txt").write_text(str(rows))
    print(f"  generated {rows:,} rows ({person.stat().st_size / 2**20:,.0f} MB cp932) "
          f"in {time.perf_counter() - started:.1f} s", flush=True)
    return out


def _validate(data: Path, person: str = "person.csv") -> tuple[float, int, int]:
    from lgcloud.layout import Validator, load_gaiji_csv, load_layout, resolve_dialect

    layout = load_layout("juki")
    dialect = resolve_dialect(layout.dialects, None)
    mapping = load_gaiji_csv(data / "gaiji_mapping.csv")
    started = time.perf_counter()
    result = Validator(layout, dialect, mapping).validate([(layout.file("person"), data / person)])
    return time.perf_counter() - started, result.records, result.errors.height


def _anchor(utf8: Path) -> tuple[float, int]:
    import pyarrow.csv as pacsv

    options = pacsv.ParseOptions(invalid_row_handler=lambda row: "skip")  # the injected field-count rows
    started = time.perf_counter()
    table = pacsv.read_csv(utf8, parse_options=options)
    return time.perf_counter() - started, table.num_rows


def p1(rows: int, work: Path) -> Result:
    data = _generate(rows, work / f"p1-{rows}")
    utf8 = data / "person.utf8.csv"
    if not utf8.exists():
        utf8.write_bytes((data / "person.csv").read_bytes().decode("cp932", errors="replace").encode("utf-8"))
    head = data / "person.head.csv"
    if not head.exists():
        raw = (data / "person.csv").read_bytes()[: 8 << 20]
        head.write_bytes(raw[: raw.rfind(b"\n") + 1])
    _validate(data, head.name)  # warm-up: imports, regex compilation
    _anchor(utf8)  # warm-up: page cache
    times, anchors = [], []
    for _ in range(2):
        cpu = _cpu()
        a_time, a_rows = _anchor(utf8)
        a_cpu, cpu = _cpu() - cpu, _cpu()
        anchors.append(a_rows / a_time)
        v_time, v_rows, errors = _validate(data)
        v_cpu = _cpu() - cpu
        times.append(v_rows / v_time)
        print(f"  pyarrow read_csv {a_time:.2f} s wall, {a_cpu:.2f} s CPU ({a_rows:,} rows); validate {v_time:.2f} s "
              f"wall, {v_cpu:.2f} s CPU ({v_rows:,} records, {errors:,} errors); load {os.getloadavg()[0]:.1f}",
              flush=True)
    return Result(f"P1 validate {rows:,} rows × 66 columns cp932 with 外字", max(times), max(anchors), "rows/s", 0.8)


def p4(rows: int, work: Path) -> Result:
    data = _generate(rows, work / f"p4-{rows}")
    child = subprocess.run([sys.executable, __file__, "--p4-child", str(data)], capture_output=True, text=True,
                           check=True)
    seconds, records, peak_mb = child.stdout.split()
    print(f"  validated {int(records):,} records in {float(seconds):.1f} s, peak RSS {float(peak_mb):,.0f} MB",
          flush=True)
    return Result(f"P4 peak RSS validating {rows:,} rows", float(peak_mb), P4_LIMIT_MB, "MB", 1.0,
                  lower_is_better=True)


def _peak_rss_mb() -> float:
    """This process's own peak RSS. Linux carries ``ru_maxrss`` across exec: a child started by a big parent
    (this bench, after P1) reports the parent's size at fork when larger. VmHWM is the new image's own."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _p4_child(data: Path) -> None:
    seconds, records, _errors = _validate(data)
    print(f"{seconds} {records} {_peak_rss_mb()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000 if FULL else 200_000, help="P1 rows")
    parser.add_argument("--p4-rows", type=int, default=4_000_000 if FULL else 400_000, help="P4 rows (0: skip)")
    parser.add_argument("--keep", type=Path, help="keep generated files here (and reuse them next time)")
    parser.add_argument("--p4-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.p4_child:
        _p4_child(args.p4_child)
        return 0
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f}",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        results = [p1(args.rows, work)]
        if args.p4_rows:
            results.append(p4(args.p4_rows, work))
    for result in results:
        print(result.report())
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
