"""Ranked MJ candidates for an unmapped 外字, from what the municipality knows about it.

Clues (any combination): a reading (読み, kana), a radical (部首: number or character) and/or total stroke
count (総画数), a similar standard character (似た字), an IDS description (e.g. ``⿰山奇``). Each clue adds
to a candidate's score; the result is sorted by score, then MJ number, so a person can confirm.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from lgcloud.errors import LgcloudError
from lgcloud.moji.index import MojiIndex, get_index
from lgcloud.moji.matching import key_group
from lgcloud.moji.record import MjRecord

_IDC = re.compile("[\u2ff0-\u2fff\u31ef〾？{}0-9]")

W_SAME_CHAR = 5.0  # another glyph of the similar character itself
W_KEY_GROUP = 4.0  # same matching key as the similar character
W_SHRINK = 3.0  # MJ縮退マップ names the similar character as a target
W_IDS_EXACT = 5.0
W_IDS_ALL = 3.0
W_IDS_SOME = 1.5  # scaled by the share of components present
W_READING = 3.0
W_RADICAL = 2.0
W_STROKES = 2.0
W_STROKES_NEAR = 0.5


@dataclass(frozen=True)
class Suggestion:
    mj: str
    glyph: str
    score: float
    reasons: tuple[str, ...]


class _Pool:
    def __init__(self) -> None:
        self.score: dict[str, float] = defaultdict(float)
        self.reasons: dict[str, list[str]] = defaultdict(list)

    def add(self, mj: str, weight: float, reason: str) -> None:
        self.score[mj] += weight
        self.reasons[mj].append(reason)


def kata(text: str) -> str:
    """Hiragana → katakana, so 音 (katakana) and 訓 (hiragana) readings compare alike."""
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text.strip())


@lru_cache(maxsize=2)
def _by_reading(index: MojiIndex) -> dict[str, list[str]]:
    table: dict[str, list[str]] = defaultdict(list)
    for rec in index.records.values():
        for reading in rec.readings:
            table[kata(reading)].append(rec.mj)
    return dict(table)


@lru_cache(maxsize=2)
def _by_component(index: MojiIndex) -> dict[str, set[str]]:
    table: dict[str, set[str]] = defaultdict(set)
    for char, description in index.ids.items():
        for comp in components(description):
            table[comp].add(char)
    return dict(table)


@lru_cache(maxsize=2)
def _by_target(index: MojiIndex) -> dict[str, dict[str, set[str]]]:
    """縮退 target character → {MJ: tables naming it}."""
    table: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for mj, rows in index.shrink.items():
        for name, ucs, _code, _weight in rows:
            table[ucs][mj].add(name)
    return {ucs: dict(mjs) for ucs, mjs in table.items()}


def components(description: str) -> set[str]:
    """The component characters of an IDS (description operators and placeholders removed)."""
    return {c for c in _IDC.sub("", description) if not c.isspace()}


def _radical_number(radical: int | str, index: MojiIndex) -> int:
    if isinstance(radical, int) or str(radical).strip().isdigit():
        return int(radical)
    number = index.radical_numbers.get(str(radical).strip())
    if number is None:
        raise LgcloudError(f"部首を認識できません: {radical}", code="moji-unknown-radical")
    return number


def _glyphs(char: str, index: MojiIndex) -> list[MjRecord]:
    return [index.records[mj] for mj in index.by_base.get(char, ())]


def _by_similar(similar: str, index: MojiIndex, pool: _Pool) -> None:
    for rec in _glyphs(similar, index):
        pool.add(rec.mj, W_SAME_CHAR, f"「{similar}」の字形")
    for member in key_group(similar):
        if member != similar:
            for rec in _glyphs(member, index):
                pool.add(rec.mj, W_KEY_GROUP, f"「{similar}」の異体字")
    for mj, tables in _by_target(index).get(similar, {}).items():
        pool.add(mj, W_SHRINK, f"縮退先「{similar}」({sorted(tables)[0]})")


def _by_ids(description: str, index: MojiIndex, pool: _Pool) -> None:
    wanted = components(description)
    if not wanted:
        return
    table = _by_component(index)
    hits: dict[str, int] = defaultdict(int)
    for comp in wanted:
        for char in table.get(comp, ()):
            hits[char] += 1
    for char, count in hits.items():
        if index.ids.get(char) == description:
            weight, why = W_IDS_EXACT, "IDS 一致"
        elif count == len(wanted):
            weight, why = W_IDS_ALL, "IDS の部品をすべて含む"
        else:
            weight, why = W_IDS_SOME * count / len(wanted), "IDS の部品を一部含む"
        for rec in _glyphs(char, index):
            pool.add(rec.mj, weight, why)


def _by_reading_clue(reading: str, index: MojiIndex, pool: _Pool) -> None:
    for mj in _by_reading(index).get(kata(reading), ()):
        pool.add(mj, W_READING, f"読み「{reading}」")


def _score_shape(pool: _Pool, radical: int | None, strokes: int | None, index: MojiIndex) -> None:
    candidates = list(pool.score) if pool.score else list(index.records)
    for mj in candidates:
        rec = index.records[mj]
        if radical is not None and any(r == radical for r, _inner in rec.radicals):
            pool.add(mj, W_RADICAL, f"部首 {radical}")
        if strokes is not None and rec.strokes is not None:
            if rec.strokes == strokes:
                pool.add(mj, W_STROKES, f"{strokes}画")
            elif abs(rec.strokes - strokes) == 1:
                pool.add(mj, W_STROKES_NEAR, f"{rec.strokes}画 (±1)")


def suggest(
    *,
    reading: str | None = None,
    radical: int | str | None = None,
    strokes: int | None = None,
    similar: str | None = None,
    ids: str | None = None,
    limit: int = 20,
    index: MojiIndex | None = None,
) -> list[Suggestion]:
    """Ranked MJ candidates; at least one clue is required."""
    idx = index or get_index()
    if not any(v not in (None, "") for v in (reading, radical, strokes, similar, ids)):
        raise LgcloudError("手がかり (読み・部首・画数・似た字・IDS) を1つ以上指定してください", code="moji-no-clue")
    pool = _Pool()
    if similar:
        _by_similar(similar.strip()[:1], idx, pool)
    if ids:
        _by_ids(ids.strip(), idx, pool)
    if reading:
        _by_reading_clue(reading, idx, pool)
    radical_no = _radical_number(radical, idx) if radical not in (None, "") else None
    if radical_no is not None or strokes is not None:
        _score_shape(pool, radical_no, strokes, idx)
    ranked = sorted(pool.score.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [
        Suggestion(mj, idx.records[mj].glyph, round(score, 2), tuple(dict.fromkeys(pool.reasons[mj])))
        for mj, score in ranked
    ]
