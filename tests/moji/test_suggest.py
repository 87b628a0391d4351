"""Suggestions for an unmapped 外字: ranked MJ candidates from reading, radical/strokes, similar char, IDS."""

from __future__ import annotations

import pytest

from lgcloud.errors import LgcloudError
from lgcloud.moji.suggest import suggest


def _mjs(**clues: object) -> list[str]:
    return [s.mj for s in suggest(limit=10, **clues)]  # type: ignore[arg-type]


def test_similar_character_and_reading() -> None:
    top = _mjs(similar="崎", reading="さき")
    assert "MJ030196" in top[:5]  # 﨑


def test_ids_description() -> None:
    assert _mjs(ids="⿰山奇")[0] == "MJ010541"  # 崎


def test_reading_and_strokes() -> None:
    assert _mjs(reading="たか", strokes=11)[0] == "MJ028902"  # 髙


def test_radical_character_or_number() -> None:
    assert _mjs(radical="山", strokes=11, reading="さき")[:2] == _mjs(radical=46, strokes=11, reading="サキ")[:2]


def test_ranking_is_deterministic_and_explained() -> None:
    first, second = suggest(similar="高", limit=5), suggest(similar="高", limit=5)
    assert first == second
    assert first[0].reasons and first[0].score >= first[-1].score


def test_a_clue_is_required() -> None:
    with pytest.raises(LgcloudError):
        suggest()
