"""Build the matching-key map (名寄せ用キー) of moji.md §4: a functional one-parent map with guards.

* Characters are keyed by NFC(対応するUCS): variation selectors are stripped and compatibility
  ideographs fold to their unified character.
* Each character gets at most one parent; the first source (in order) that yields a non-self target
  decides. Sources: JIS包摂規準, 戸籍 親字正字 (lowest ホップ数, IVS guard), 2842 俗字, 5202.
* IVS guard: a glyph reachable only through an IVS contributes a 戸籍 edge only if the default glyph of
  the same code point has the same target.
* 0208 guard: a JIS X 0208 character may point to another JIS X 0208 character only if an independent
  strict variant list (Unihan, kdpv jp/old-style, 常用・人名用 lists, JIS variant lists) has the pair.
* A source that gives several targets leaves the character unmapped, unless all targets share one key.
* Keys are found by following parents to the root; a cycle resolves to its smallest character.

Not used, by design: 2842 無印/別字 (errors or different characters), 告示582 別表第四 (一 and 二),
読み字形による類推 and 辞書類等による関連字 (look-alikes and "related" characters).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence

from lgcloud.moji.record import MjRecord

KEY_SOURCES = (
    "JIS包摂規準UCS統合規則",
    "戸籍統一文字情報_親字正字",
    "民一2842号通達別表_誤字俗字正字一覧表_俗字",
    "民二5202号通知別表_正字俗字等対照表",
)
_KOSEKI = KEY_SOURCES[1]
#: True variant pairs the strict lists miss (moji.md §4); merged although both are JIS X 0208.
ALLOW_PAIRS = frozenset(frozenset(pair) for pair in ("絋紘", "靹鞆", "駲馴", "枦櫨"))

Shrink = Mapping[str, Sequence[tuple[str, str, str, int]]]


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _targets_of(mj: str, table: str, shrink: Shrink) -> set[str]:
    rows = [row for row in shrink.get(mj, ()) if row[0] == table]
    if table == _KOSEKI and rows:
        lowest = min(row[3] for row in rows)
        rows = [row for row in rows if row[3] == lowest]
    return {_nfc(row[1]) for row in rows}


def _source_targets(base: str, glyphs: list[MjRecord], table: str, shrink: Shrink) -> set[str]:
    if table != _KOSEKI:
        return set().union(*(_targets_of(rec.mj, table, shrink) for rec in glyphs))
    defaults = [rec for rec in glyphs if not rec.ivs_only]
    targets = set().union(*(_targets_of(rec.mj, table, shrink) for rec in defaults))
    has_default = any(rec.implemented_ucs == base for rec in defaults)
    for rec in glyphs:
        if rec.ivs_only:
            extra = _targets_of(rec.mj, table, shrink)
            targets |= (extra & targets) if has_default else extra
    return targets


def _guard(base: str, target: str, strict_pairs: set[frozenset[str]], jis0208: frozenset[str]) -> bool:
    if base in jis0208 and target in jis0208:
        pair = frozenset((base, target))
        return pair in strict_pairs or pair in ALLOW_PAIRS
    return True


def _roots(parent: dict[str, str]) -> dict[str, str]:
    root: dict[str, str] = {}
    for start in parent:
        path: list[str] = []
        seen: set[str] = set()
        node = start
        while node in parent and node not in root and node not in seen:
            seen.add(node)
            path.append(node)
            node = parent[node]
        if node in root:
            end = root[node]
        elif node in seen:  # a cycle: its smallest member is the key
            cycle = path[path.index(node) :]
            end = min(cycle)
        else:
            end = node
        for member in path:
            root[member] = end
    return root


def build_key_map(
    records: Mapping[str, MjRecord],
    shrink: Shrink,
    strict_pairs: set[frozenset[str]],
    jis0208: frozenset[str],
) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Return (character → key for every character whose key differs, character → (parent, source))."""
    by_base: dict[str, list[MjRecord]] = defaultdict(list)
    for rec in records.values():
        if rec.ucs:
            by_base[_nfc(rec.ucs)].append(rec)
    parent: dict[str, str] = {}
    source_of: dict[str, tuple[str, str]] = {}
    ambiguous: dict[str, tuple[set[str], str]] = {}
    for base, glyphs in by_base.items():
        for table in KEY_SOURCES:
            targets = {
                t
                for t in _source_targets(base, glyphs, table, shrink)
                if t != base and _guard(base, t, strict_pairs, jis0208)
            }
            if len(targets) == 1:
                parent[base] = next(iter(targets))
                source_of[base] = (parent[base], table)
            elif targets:
                ambiguous[base] = (targets, table)
            if targets:
                break
    root = _roots(parent)
    for base, (targets, table) in ambiguous.items():
        keys = {root.get(t, t) for t in targets}
        if len(keys) == 1 and base not in keys:
            parent[base] = next(iter(keys))
            source_of[base] = (parent[base], table)
    root = _roots(parent)
    return {c: k for c, k in root.items() if c != k}, source_of
