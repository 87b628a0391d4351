"""Fallback kana folding, used only while ``lgcloud.codes`` does not export ``fold_kana``."""

from __future__ import annotations

import unicodedata

_SMALL = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_SPECIAL = str.maketrans({"ヲ": "オ", "ヂ": "シ", "ヅ": "ス", "ヰ": "イ", "ヱ": "エ"})
_DASHES = "ー―－‐ｰ-−"
_O_ROW = frozenset("オコソトノホモヨロ")


def to_katakana(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def _unvoice(ch: str) -> str:
    base = unicodedata.normalize("NFD", ch)[0]
    return "フ" if ch == "ヴ" else base


def fold(text: str) -> str:
    text = to_katakana(text).translate(_SPECIAL)
    text = "".join(_unvoice(c) for c in text if c not in _DASHES and not c.isspace())
    text = text.translate(_SMALL)
    out: list[str] = []
    for ch in text:
        if ch == "ウ" and out and out[-1] in _O_ROW:
            continue
        out.append(ch)
    return "".join(out)
