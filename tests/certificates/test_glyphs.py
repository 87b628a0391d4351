"""Exact glyphs: the IPAmj cmap (incl. format 14) check, and IVS pairs printing as different glyphs."""

import re

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from lgcloud.certificates import glyphs, render

KUZU_1, KUZU_2 = "葛\U000e0102", "葛\U000e0104"
TSUJI_1, TSUJI_PLAIN = "辻\U000e0102", "辻"


def test_font_is_the_ipamj_file() -> None:
    path = glyphs.font_path()
    assert path.name == "ipamjm.ttf" and path.stat().st_size > 40_000_000


@pytest.mark.parametrize(
    "text", [KUZU_1, KUZU_2, TSUJI_1, TSUJI_PLAIN, "髙橋", "山田　太郎", "令和7年6月30日", "（ヤマダ）"]
)
def test_characters_the_font_defines_pass(text: str) -> None:
    assert glyphs.missing_glyphs(text) == []


def test_a_selector_the_font_lacks_is_an_unmapped_gaiji() -> None:
    cov = glyphs.coverage()
    assert cov.has(ord("葛"), 0xE0102) and not cov.has(ord("葛"), 0xE01EF)
    missing = glyphs.missing_glyphs("山田葛\U000e01ef", "氏名")
    assert [(m.offset, m.codepoints) for m in missing] == [(2, "U+845B+U+E01EF")]


def test_private_use_and_unknown_characters_block_issuance() -> None:
    with pytest.raises(glyphs.UnmappedGaiji) as raised:
        glyphs.check_texts([("氏名", "山\ue000太郎"), ("住所", "本町😀")])
    error = raised.value
    assert error.code == "certificate-unmapped-gaiji"
    assert [c["codepoints"] for c in error.detail["characters"]] == ["U+E000", "U+1F600"]
    assert "氏名 の 2 文字目" in error.message and "未登録外字" in error.message


def _glyph_ids(pdf: bytes) -> list[list[int]]:
    runs = []
    for page in PdfReader(__import__("io").BytesIO(pdf)).pages:
        content = page.get_contents().get_data().decode("latin-1")  # type: ignore[union-attr]
        for array in re.findall(r"\[(.*?)\]\s*TJ", content):
            runs.append(
                [int(h[i : i + 4], 16) for h in re.findall(r"<([0-9a-f]+)>", array) for i in range(0, len(h), 4)]
            )
    return runs


def _expected_gid(font: TTFont, text: str) -> int:
    base = ord(text[0])
    if len(text) == 1:
        return font.getGlyphID(font.getBestCmap()[base])
    table = next(t for t in font["cmap"].tables if t.format == 14)
    name = dict(table.uvsDict[ord(text[1])])[base] or font.getBestCmap()[base]
    return font.getGlyphID(name)


def test_ivs_pairs_render_as_different_glyphs() -> None:
    from weasyprint import CSS, HTML

    texts = [KUZU_1, KUZU_2, TSUJI_1, TSUJI_PLAIN]
    html = "".join(f"<p>{t}</p>" for t in texts)
    css = CSS(string=render.stylesheet_text("glyph test"))
    pdf = HTML(string=html).write_pdf(stylesheets=[css])
    singles = [run[0] for run in _glyph_ids(pdf) if len(run) == 1]
    assert len(singles) == 4
    kuzu_1, kuzu_2, tsuji_1, tsuji = singles
    assert kuzu_1 != kuzu_2 and tsuji_1 != tsuji
    font = TTFont(str(glyphs.font_path()), lazy=True)
    assert singles == [_expected_gid(font, t) for t in texts]  # exactly the glyphs the format-14 cmap names
    render.assert_only_certificate_font(pdf)
