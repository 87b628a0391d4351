"""Lookups for every code kind → the MJ record."""

from __future__ import annotations

import pytest

from lgcloud.moji import lookup, lookup_all
from lgcloud.moji.index import MojiIndex


@pytest.mark.parametrize(
    ("query", "mj"),
    [
        ("MJ028902", "MJ028902"),
        ("mj028902", "MJ028902"),
        ("髙", "MJ028902"),
        ("U+9AD9", "MJ028902"),
        ("J+9AD9", "MJ028902"),  # 住基 code equal to the code point
        ("513280", "MJ028902"),  # 戸籍統一文字番号
        ("00513280", "MJ028902"),  # 登記統一文字番号
        ("1-25-66", "MJ028901"),  # 面区点: the exact glyph 高 first …
        ("J+AD1D", "MJ000001"),  # 々: a 住基 code that is NOT its code point (U+3005)
        ("J+ad47", "MJ000037"),  # 㐶 (IVS-only glyph) by its 住基 code
        ("\ufa19", "MJ030211"),  # 神 U+FA19: its own glyph, not the default 神
        ("U+FA19", "MJ030211"),
        ("神\U000e0103", "MJ030211"),  # … also reached by its Moji_Joho IVS
        ("神\ufe00", "MJ030211"),  # … and by its SVS
        ("U+795E U+E0103", "MJ030211"),
        ("神", "MJ018811"),  # the default 神 U+795E
        ("邉\U000e010f", "MJ026190"),
        ("㐶\U000e0101", "MJ000037"),
        ("﨑", "MJ030196"),
    ],
)
def test_lookup_every_code_kind(query: str, mj: str) -> None:
    rec = lookup(query)
    assert rec is not None and rec.mj == mj


def test_jplus_codes_that_differ_from_the_code_point(moji_index: MojiIndex) -> None:
    differing = [r for r in moji_index.records.values() if r.juki and r.ucs and r.juki != f"J+{ord(r.ucs):04X}"]
    assert len(differing) == 5563  # moji.md §2
    for rec in differing[:: len(differing) // 50]:
        assert lookup(rec.juki).mj == rec.mj  # type: ignore[union-attr]


def test_jis_code_lists_the_glyphs_unified_into_it() -> None:
    glyphs = [r.mj for r in lookup_all("1-25-66")]
    assert glyphs[0] == "MJ028901" and "MJ028902" in glyphs  # 高, then 髙 (包摂)


def test_plain_character_lists_its_ivs_glyphs_after_the_default() -> None:
    found = lookup_all("邉")
    assert found[0].mj == "MJ026190" and len(found) > 5
    assert all(r.ucs == "邉" for r in found)


def test_record_contents() -> None:
    rec = lookup("髙")
    assert rec is not None
    assert (rec.juki, rec.koseki, rec.x0213, rec.x0213_inclusion, rec.strokes) == ("J+9AD9", "513280", "1-25-66", 2, 11)
    assert "たか" in rec.readings or "コウ" in rec.readings
    assert rec.glyph == "髙" and not rec.ivs_only


def test_ivs_only_glyph_shows_as_its_sequence() -> None:
    rec = lookup("MJ000037")
    assert rec is not None and rec.ivs_only and rec.glyph == "㐶\U000e0101"


@pytest.mark.parametrize("query", ["MJ999999", "J+0000", "999999", "", "3-01-01", "😀"])
def test_unknown_queries_give_nothing(query: str) -> None:
    assert lookup(query) is None


def test_counts_match_the_data_study(moji_index: MojiIndex) -> None:
    assert len(moji_index.records) == 58862
    assert len(moji_index.by_juki) == 19563
    assert len(moji_index.by_koseki) == 55270
    assert sum(1 for r in moji_index.records.values() if r.ivs_only and r.ivs) == 6236


@pytest.mark.parametrize("query", ["U+110000", "U+FFFFFF", "J+ZZZZ"])
def test_malformed_codes_are_not_found(query: str) -> None:
    assert lookup(query) is None


def test_jplus_survives_a_raw_url_query() -> None:
    assert lookup("J AD1D").mj == "MJ000001"  # type: ignore[union-attr]  # "+" decoded as a space
