"""One benchmark figure with the anchor measured in the same run (``from result import Result``)."""

from __future__ import annotations

import os
from dataclasses import dataclass

FULL = os.environ.get("LGCLOUD_BENCH_FULL") == "1"


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
