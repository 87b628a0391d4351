"""`make bench`: run every ``bench_*.py`` here; each prints its figure, its anchor and the ratio.

Quick sizes by default so the whole run takes minutes; ``LGCLOUD_BENCH_FULL=1`` for the sizes the
issues name (1M rows, 100 MB …). ``python bench/run.py bench_moji`` runs one.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}"


def main() -> int:
    selected = set(sys.argv[1:])
    full = os.environ.get("LGCLOUD_BENCH_FULL") == "1"
    print(f"lgcloud bench ({'full' if full else 'quick'} sizes) on {machine()}", flush=True)
    failed = []
    for path in sorted(HERE.glob("bench_*.py")):
        if selected and path.stem not in selected:
            continue
        print(f"\n=== {path.stem}", flush=True)
        started = time.perf_counter()
        if subprocess.run([sys.executable, str(path)], check=False).returncode != 0:
            failed.append(path.stem)
        print(f"=== {path.stem} finished in {time.perf_counter() - started:.1f} s", flush=True)
    if failed:
        print(f"\nbenchmarks that failed or missed their target: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
