"""Vendor 外字 source codes and applying a mapping: unmapped 外字 reported with position, never '?'."""

from __future__ import annotations

import pytest

from lgcloud.moji import GaijiMap, UnmappedGaijiError, apply_mapping, map_gaiji, parse_source
from lgcloud.moji.gaiji import InvalidSourceCode, SourceKind


@pytest.mark.parametrize(
    ("kind", "code", "canonical", "char"),
    [
        ("pua", "U+E000", "U+E000", "\ue000"),
        ("pua", "e001", "U+E001", "\ue001"),
        ("pua", "\ue002", "U+E002", "\ue002"),
        ("cp932", "F040", "F040", "\ue000"),  # cp932 user-defined area → PUA
        ("cp932", "0xf9fc", "F9FC", "\ue757"),
        ("jplus", "J+AD1D", "J+AD1D", "\uad1d"),
    ],
)
def test_parse_source(kind: str, code: str, canonical: str, char: str) -> None:
    source = parse_source(kind, code)
    assert (source.kind, source.code, source.char) == (SourceKind(kind), canonical, char)


@pytest.mark.parametrize(("kind", "code"), [("pua", "U+4E00"), ("cp932", "889F"), ("jplus", "9AD9"), ("x", "1")])
def test_invalid_sources(kind: str, code: str) -> None:
    with pytest.raises(InvalidSourceCode):
        parse_source(kind, code)


def test_apply_mapping_replaces_and_reports_offsets() -> None:
    mapping = GaijiMap({"\ue000": "髙", "\ue001": "㐶\U000e0101"})
    assert apply_mapping("\ue000橋 \ue001", mapping) == "髙橋 㐶\U000e0101"
    result = map_gaiji("山\ue000田\ue005太\ue006", mapping)
    assert result.text == "山髙田\ue005太\ue006"  # unmapped stay as they were: never '?'
    assert [(u.offset, u.code) for u in result.unmapped] == [(3, "U+E005"), (5, "U+E006")]
    with pytest.raises(UnmappedGaijiError) as err:
        apply_mapping("山\ue000田\ue005", mapping)
    assert err.value.unmapped[0].offset == 3
    assert "4文字目 U+E005" in err.value.message


def test_plain_dict_and_non_pua_sources() -> None:
    assert apply_mapping("\uad1dx", {"\uad1d": "々"}) == "々x"  # a 住基 J+ code point
    assert apply_mapping("ただの文字", {}) == "ただの文字"


def test_mutating_a_gaiji_map_recompiles() -> None:
    mapping = GaijiMap()
    mapping.pattern()
    mapping["\uad1d"] = "々"
    assert apply_mapping("\uad1d", mapping) == "々"


def test_map_and_classify_in_one_pass() -> None:
    from lgcloud.moji import CharClass, map_and_classify

    mapping = GaijiMap({"\ue000": "髙", "\ue001": "㐶\U000e0101", "\ue002": "高"})
    text = "東京\ue000橋\ue001 \ue009\ue002"
    result, inv = map_and_classify(text, mapping)
    assert result.text == "東京髙橋㐶\U000e0101 \ue009高"
    assert [(u.offset, u.code) for u in result.unmapped] == [(6, "U+E009")]
    assert inv.counts[CharClass.MJ] == 2 and inv.counts[CharClass.PUA] == 1
    assert inv.counts[CharClass.JISX0208] == 4 and inv.counts[CharClass.ASCII] == 1
    assert inv.chars["㐶\U000e0101"].positions == [4]  # offsets refer to the input text
