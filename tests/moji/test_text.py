"""Segmentation (base + VS = one character) and classification with positions."""

from __future__ import annotations

import pytest

from lgcloud.moji import CharClass, classify, graphemes, inventory
from lgcloud.moji.text import classify_char, strip_variation_selectors

SAMPLE = "髙橋\ufa19子 邉\U000e010f㐶\U000e0101\ue000ｱ😀﨑"


def test_base_and_variation_selector_are_one_character() -> None:
    assert list(graphemes("邉\U000e010f田")) == [(0, "邉\U000e010f"), (2, "田")]
    assert list(graphemes("神\ufe00")) == [(0, "神\ufe00")]
    assert list(graphemes("\U000e0100a")) == [(0, "\U000e0100"), (1, "a")]  # a stray selector stays visible
    assert [g for _, g in graphemes("𠮷野")] == ["𠮷", "野"]  # non-BMP: one str character, no surrogates


def test_compatibility_ideograph_keeps_its_own_glyph() -> None:
    info = classify_char("\ufa19")
    assert info.mj == "MJ030211"  # not MJ018811 (what NFC would give)
    assert info.char_class is CharClass.JISX0213  # 1-89-28


@pytest.mark.parametrize(
    ("char", "cls"),
    [
        ("A", CharClass.ASCII),
        ("ｱ", CharClass.JISX0201_KANA),
        ("あ", CharClass.JISX0208),
        ("橋", CharClass.JISX0208),
        ("～", CharClass.JISX0208),  # cp932's mapping of 1-01-33
        ("﨑", CharClass.JISX0213),
        ("髙", CharClass.MJ),  # no JIS X 0213 code point of its own
        ("𠮷", CharClass.MJ),
        ("㐶\U000e0101", CharClass.MJ),  # IVS-only glyph
        ("邉\U000e010f", CharClass.JISX0208),  # IVS naming the default glyph of a 0208 character
        ("\ue000", CharClass.PUA),
        ("\U000f0001", CharClass.PUA),
        ("😀", CharClass.UNKNOWN),
        ("吉\U000e0100", CharClass.UNKNOWN),  # an Adobe-Japan1 sequence MJ does not define
    ],
)
def test_classes(char: str, cls: CharClass) -> None:
    assert classify_char(char).char_class is cls


def test_classify_gives_positions() -> None:
    infos = classify(SAMPLE)
    assert [(i.offset, i.text) for i in infos][:4] == [(0, "髙"), (1, "橋"), (2, "\ufa19"), (3, "子")]
    pua = [i for i in infos if i.char_class is CharClass.PUA]
    assert [(i.offset, i.text) for i in pua] == [(9, "\ue000")]
    assert "".join(i.text for i in infos) == SAMPLE


def test_inventory_agrees_with_classify() -> None:
    text = SAMPLE * 3 + "東京都千代田区1-2-3\n" + "渡辺\U000e0100" * 2
    inv = inventory(text)
    expected: dict[CharClass, int] = dict.fromkeys(CharClass, 0)
    for info in classify(text):
        expected[info.char_class] += 1
    assert inv.counts == expected
    assert inv.length == len(classify(text))
    pua = inv.chars["\ue000"]
    assert pua.count == 3 and pua.positions == [9, 9 + len(SAMPLE), 9 + 2 * len(SAMPLE)]
    assert inv.chars["辺\U000e0100"].positions[0] == text.index("辺\U000e0100")


def test_strip_variation_selectors() -> None:
    assert strip_variation_selectors("邉\U000e010f神\ufe00") == "邉神"


ALPHABET = [
    "a",
    "1",
    " ",
    "\n",
    "あ",
    "橋",
    "～",
    "ｱ",
    "髙",
    "﨑",
    "\ufa19",
    "𠮷",
    "\ue000",
    "😀",
    "\U000e0101",
    "\ufe00",
]


def test_inventory_matches_classify_on_random_text() -> None:
    import random

    rnd = random.Random(3)
    for _ in range(200):
        text = "".join(rnd.choices(ALPHABET, k=rnd.randint(0, 30)))
        inv = inventory(text)
        expected: dict[CharClass, int] = dict.fromkeys(CharClass, 0)
        for info in classify(text):
            expected[info.char_class] += 1
        assert inv.counts == expected, repr(text)
        for occ in inv.exceptions():
            assert all(text.startswith(occ.text, p) for p in occ.positions), repr(text)


def test_scan_maps_keys_that_are_jis_characters() -> None:
    from lgcloud.moji.text import scan

    result = scan("x\u9ad8y\ue000", {"\u9ad8": "髙", "\ue000": "\U00020bb7"})  # a J+ code equal to 高
    assert result.text == "x髙y𠮷" and result.replaced == 2 and result.unmapped == []
    assert result.inventory.counts[CharClass.MJ] == 2


@pytest.mark.parametrize("alphabet", ["bmp", "bmp+svs", "all"])
def test_vectorised_and_regex_scans_agree(monkeypatch: pytest.MonkeyPatch, alphabet: str) -> None:
    import random

    from lgcloud.moji import text as text_module

    rnd = random.Random(5)
    chars = [c for c in ALPHABET if alphabet == "all" or (ord(c) <= 0xFFFF and (alphabet != "bmp" or c != "\ufe00"))]
    chars += ["\ue001", "\u9ad8", "\ud800"]  # an unmapped 外字, a mapped JIS character, a lone surrogate
    long_text = "\ufe00" + "".join(rnd.choices(chars, k=text_module.VECTOR_MIN + 5000))
    mapping = {"\ue000": "\U00020bb7", "橋": "髙", "\u9ad8": "髙"}  # two sources, one glyph
    assert text_module._units(long_text) is not None
    vectorised = text_module.scan(long_text, mapping)
    monkeypatch.setattr(text_module, "VECTOR_MIN", 10**12)
    regex = text_module.scan(long_text, mapping)
    assert vectorised.text == regex.text and vectorised.unmapped == regex.unmapped
    assert vectorised.replaced == regex.replaced
    assert vectorised.inventory.counts == regex.inventory.counts
    assert {k: (o.count, o.positions) for k, o in vectorised.inventory.chars.items()} == {
        k: (o.count, o.positions) for k, o in regex.inventory.chars.items()
    }
