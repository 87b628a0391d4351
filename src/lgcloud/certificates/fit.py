"""文字溢れ (§2.11 5.8): shrink a value to fit its cell; report what still does not fit.

Widths are in *em* of the cell's base font: a full-width character is 1 em, a half-width one ½ em,
a variation selector 0. A value up to the cell's capacity prints at 100 %; a longer one is scaled
down to ``capacity / width`` but not below ``MIN_SCALE``; past that it overflows and the municipality's
parameter decides: print as far as it fits, or leave the cell blank. Either way it is listed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from lgcloud.certificates.glyphs import is_selector

MIN_SCALE = 0.5


def visual_width(text: str) -> float:
    width = 0.0
    for ch in text:
        cp = ord(ch)
        if is_selector(cp) or unicodedata.combining(ch):
            continue
        width += 1.0 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 0.5
    return width


@dataclass(frozen=True)
class Fit:
    scale: float  # font-size factor
    overflow: bool  # still too long at MIN_SCALE

    @property
    def percent(self) -> int:
        return int(self.scale * 100)


def fit(text: str, capacity_em: float) -> Fit:
    width = visual_width(text)
    if width <= capacity_em:
        return Fit(1.0, False)
    scale = capacity_em / width
    if scale >= MIN_SCALE:
        return Fit(int(scale * 100) / 100, False)
    return Fit(MIN_SCALE, True)
