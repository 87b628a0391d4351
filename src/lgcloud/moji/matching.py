"""Matching key (名寄せ・異体字検索用キー): a variant-insensitive form of a text for search only.

``matching_key("髙橋")  == matching_key("高橋")``. Never store the key in place of a name: it exists
to *find* records. It strips variation selectors, applies NFC (so 神 U+FA19 folds to 神 U+795E, which
is what search wants) and replaces each character by the root of its one-parent variant map
(see :mod:`lgcloud.moji.matching_build` for how that map is built and guarded).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from lgcloud.moji.index import MojiIndex, get_index
from lgcloud.moji.text import strip_variation_selectors


@lru_cache(maxsize=4)
def _table(index: MojiIndex) -> dict[int, str]:
    return {ord(char): key for char, key in index.key_map.items() if len(char) == 1}


def matching_key(text: str) -> str:
    """The search key of ``text``: equal keys mean "the same name up to 異体字"."""
    table = _table(get_index())
    if not text.isascii():
        text = unicodedata.normalize("NFC", strip_variation_selectors(text))
    return text.translate(table)


def char_key(char: str) -> str:
    """The key of one character (base + optional VS)."""
    return matching_key(char)


def key_group(char: str) -> list[str]:
    """Every character (NFC, no VS) that shares ``char``'s key; the key character first."""
    index = get_index()
    key = char_key(char)
    return index.key_groups.get(key, [key])


def key_path(char: str) -> list[tuple[str, str]]:
    """How ``char`` reaches its key: [(parent, source table), …] (empty when it is its own key)."""
    index = get_index()
    node = unicodedata.normalize("NFC", strip_variation_selectors(char))
    path: list[tuple[str, str]] = []
    seen = {node}
    while node in index.key_sources:
        parent, source = index.key_sources[node]
        path.append((parent, source))
        if parent in seen:
            break
        seen.add(parent)
        node = parent
    return path
