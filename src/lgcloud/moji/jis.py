"""JIS X 0208 / JIS X 0213 membership and 面区点 (plane-row-cell) codes, from Python's own codecs.

* JIS X 0208:1990 = the two-byte table of ``euc_jp`` (6,879 cells). Text decoded from Windows cp932
  uses Microsoft's mapping for a few cells (～ U+FF5E for 〜 U+301C, ∥, －, ￠, ￡, ￬); both forms count
  as JIS X 0208.
* JIS X 0213:2004 = ``euc_jis_2004`` (plane 1 as two bytes, plane 2 behind SS3 0x8F).

Codes are written ``plane-row-cell`` with two-digit row and cell, as in the MJ文字情報一覧表: ``1-25-66``.
"""

from __future__ import annotations

import re
from functools import lru_cache

_CODE = re.compile(r"^\s*([12])-(\d{1,2})-(\d{1,2})\s*$")
#: Rows of JIS X 0213 plane 2 (Python's euc_jis_2004 decodes JIS X 0212 in the other rows).
_PLANE2_ROWS = frozenset({1, 3, 4, 5, 8, 12, 13, 14, 15, *range(78, 95)})


def _euc(row: int, cell: int) -> bytes:
    return bytes((0xA0 + row, 0xA0 + cell))


def _sjis(row: int, cell: int) -> bytes:
    """Shift_JIS bytes of JIS X 0208 row/cell."""
    j1, j2 = row + 0x20, cell + 0x20
    lead = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
    trail = j2 + (0x1F if j2 <= 0x5F else 0x20) if j1 % 2 else j2 + 0x7E
    return bytes((lead, trail))


def _decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


@lru_cache(maxsize=1)
def jis0208_cells() -> dict[tuple[int, int], str]:
    """(row, cell) → character for the 6,879 assigned JIS X 0208 cells."""
    cells: dict[tuple[int, int], str] = {}
    for row in range(1, 95):
        for cell in range(1, 95):
            char = _decode(_euc(row, cell), "euc_jp")
            if char is not None:
                cells[(row, cell)] = char
    return cells


@lru_cache(maxsize=1)
def jis0208_chars() -> frozenset[str]:
    """Characters of JIS X 0208, in both the JIS and the Microsoft (cp932) Unicode mapping."""
    chars = set()
    for (row, cell), char in jis0208_cells().items():
        chars.add(char)
        ms = _decode(_sjis(row, cell), "cp932")
        if ms is not None:
            chars.add(ms)
    return frozenset(chars)


@lru_cache(maxsize=1)
def x0213_table() -> dict[str, str]:
    """``plane-row-cell`` → text (one code point, or a base + combining mark) for JIS X 0213:2004."""
    table: dict[str, str] = {}
    for plane in (1, 2):
        for row in range(1, 95) if plane == 1 else sorted(_PLANE2_ROWS):
            for cell in range(1, 95):
                data = _euc(row, cell) if plane == 1 else b"\x8f" + _euc(row, cell)
                text = _decode(data, "euc_jis_2004")
                if text is not None:
                    table[f"{plane}-{row:02d}-{cell:02d}"] = text
    return table


@lru_cache(maxsize=1)
def x0213_chars() -> dict[str, str]:
    """text → ``plane-row-cell`` (first code wins if JIS X 0213 maps two cells to one text)."""
    reverse: dict[str, str] = {}
    for code, text in x0213_table().items():
        reverse.setdefault(text, code)
    return reverse


def parse_x0213(code: str) -> str | None:
    """Normalise ``1-25-66`` / ``1-4-5`` to ``1-25-66``; None if it is not a 面区点 code."""
    match = _CODE.match(code)
    if not match:
        return None
    plane, row, cell = (int(g) for g in match.groups())
    if not (1 <= row <= 94 and 1 <= cell <= 94):
        return None
    return f"{plane}-{row:02d}-{cell:02d}"


def is_0208_code(code: str | None) -> bool:
    """True if a ``plane-row-cell`` code is one of the JIS X 0208 cells."""
    if not code or not code.startswith("1-"):
        return False
    _, row, cell = code.split("-")
    return (int(row), int(cell)) in jis0208_cells()


def in_jis0208(text: str) -> bool:
    return text in jis0208_chars()


def in_jis0213(text: str) -> bool:
    return text in x0213_chars() or text in jis0208_chars()
