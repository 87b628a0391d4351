"""The certificate font (IPAmj明朝) and a check that it has a glyph for every character we print.

WeasyPrint picks the right variant glyph for every IVS the font's format-14 cmap defines, but silently
drops a selector the font lacks (the base glyph prints instead). So every text is checked here first,
against the same font file: a base character missing from the cmap, an IVS the font does not define,
or a private-use character is an *unmapped 外字* and blocks issuance (§2.11 5.8, ARCHITECTURE rule 3).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from lgcloud.errors import LgcloudError

#: Debian fonts-ipamj-mincho. LGCLOUD_CERTIFICATE_FONT overrides it.
DEFAULT_FONT_PATHS = (
    Path("/usr/share/fonts/truetype/ipamj/ipamjm.ttf"),
    Path("/usr/share/fonts/opentype/ipamj/ipamjm.ttf"),
)
FONT_FAMILY = "IPAmjMincho"


class FontMissing(LgcloudError):
    status = 503
    code = "certificate-font-missing"


@lru_cache
def font_path() -> Path:
    """The IPAmj明朝 file: the environment override, the Debian path, or what fontconfig reports."""
    override = os.environ.get("LGCLOUD_CERTIFICATE_FONT")
    candidates = [Path(override)] if override else list(DEFAULT_FONT_PATHS)
    for path in candidates:
        if path.is_file():
            return path
    if not override and shutil.which("fc-list"):
        out = subprocess.run(["fc-list", "IPAmjMincho", "file"], capture_output=True, text=True, check=False)
        for line in out.stdout.splitlines():
            path = Path(line.split(":")[0].strip())
            if path.is_file():
                return path
    raise FontMissing(
        "証明書用フォント IPAmj明朝 が見つかりません（Debian: apt-get install fonts-ipamj-mincho）",
    )


@dataclass(frozen=True)
class FontCoverage:
    cmap: frozenset[int]
    #: selector → base code points the font maps with it (default or non-default glyph)
    variations: dict[int, frozenset[int]]

    def has(self, base: int, selector: int | None = None) -> bool:
        if selector is None:
            return base in self.cmap
        return base in self.variations.get(selector, frozenset())


@lru_cache
def coverage() -> FontCoverage:
    font = TTFont(str(font_path()), lazy=True)
    cmap = frozenset(font.getBestCmap())
    variations: dict[int, frozenset[int]] = {}
    for table in font["cmap"].tables:
        if table.format == 14:
            for selector, pairs in table.uvsDict.items():
                variations[selector] = frozenset(base for base, _glyph in pairs)
    font.close()
    return FontCoverage(cmap, variations)


def is_selector(cp: int) -> bool:
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF


def is_pua(cp: int) -> bool:
    return 0xE000 <= cp <= 0xF8FF or 0xF0000 <= cp <= 0x10FFFF


@dataclass(frozen=True)
class Missing:
    where: str
    offset: int
    text: str  # the character, with its selector if any

    @property
    def codepoints(self) -> str:
        return "+".join(f"U+{ord(c):04X}" for c in self.text)

    def message(self) -> str:
        return f"{self.where} の {self.offset + 1} 文字目「{self.text}」({self.codepoints})"


def missing_glyphs(text: str, where: str = "", cov: FontCoverage | None = None) -> list[Missing]:
    """Characters (with their selector) the font cannot print exactly."""
    cov = cov or coverage()
    found = []
    i = 0
    while i < len(text):
        base = ord(text[i])
        selector = ord(text[i + 1]) if i + 1 < len(text) and is_selector(ord(text[i + 1])) else None
        width = 2 if selector is not None else 1
        if base in (0x0A, 0x0D):
            i += 1
            continue
        ok = not is_pua(base) and cov.has(base) and (selector is None or cov.has(base, selector))
        if not ok:
            found.append(Missing(where, i, text[i : i + width]))
        i += width
    return found


class UnmappedGaiji(LgcloudError):
    """A character the certificate font cannot print exactly: treated as an unmapped 外字."""

    status = 422
    code = "certificate-unmapped-gaiji"


def check_texts(texts: list[tuple[str, str]]) -> None:
    cov = coverage()
    missing = [m for where, text in texts for m in missing_glyphs(text, where, cov)]
    if missing:
        listed = "、".join(m.message() for m in missing[:10])
        raise UnmappedGaiji(
            f"証明書のフォントにない文字（未登録外字）があるため発行できません: {listed}。"
            "外字の同定（MJ文字への対応付け）をしてから発行してください。",
            characters=[{"where": m.where, "offset": m.offset, "codepoints": m.codepoints} for m in missing],
        )
