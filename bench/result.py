"""One benchmark figure with the anchor measured in the same run (``from result import Result``)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

FULL = os.environ.get("LGCLOUD_BENCH_FULL") == "1"


def status_mb(field: str) -> float:
    """A ``/proc/self/status`` size (VmRSS, VmHWM …) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> float:
    """Start the peak (VmHWM) again from the current RSS, which is returned: what follows then has its own
    peak, not that of the generator or import before it (Linux: writing 5 to clear_refs)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return status_mb("VmRSS")


@dataclass(frozen=True)
class Result:
    name: str  # e.g. "P1 validate"
    figure: float
    anchor: float
    unit: str
    target_ratio: float
    lower_is_better: bool = False

    @property
    def ratio(self) -> float:
        return self.figure / self.anchor if self.anchor else float("inf")

    @property
    def ok(self) -> bool:
        return self.ratio <= self.target_ratio if self.lower_is_better else self.ratio >= self.target_ratio

    def report(self) -> str:
        sign = "≤" if self.lower_is_better else "≥"
        verdict = "OK" if self.ok else "MISSED"
        return (f"{self.name}: {self.figure:,.2f} {self.unit} vs anchor {self.anchor:,.2f} {self.unit} "
                f"= {self.ratio:.2f}× (target {sign} {self.target_ratio}×) {verdict}")
