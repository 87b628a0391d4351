"""Kana folding (standards.md §2.12) and half-width → full-width katakana."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from lgcloud.codes import fold_kana, kana_matches, to_fullwidth_katakana

# Every rule of §2.12, one row per pair the standard names (plus the obvious siblings).
EQUIVALENT = [
    # 清音/濁音/半濁音
    ("カ", "ガ"),
    ("ハ", "バ"),
    ("ハ", "パ"),
    ("ヒ", "ピ"),
    ("タナヘ", "タナベ"),
    # named sound-alike pairs
    ("ヂ", "ジ"),
    ("ズ", "ヅ"),
    ("ワ", "ハ"),
    ("オ", "ヲ"),
    # ヴ forms
    ("ヴァ", "バ"),
    ("ヴィ", "ビ"),
    ("ヴ", "ブ"),
    ("ヴェ", "ベ"),
    ("ヴォ", "ボ"),
    ("ヴァイオリン", "バイオリン"),
    # 拗音/促音 small vs large
    ("ッ", "ツ"),
    ("ャ", "ヤ"),
    ("ュ", "ユ"),
    ("ョ", "ヨ"),
    ("キャ", "キヤ"),
    ("ハットリ", "ハツトリ"),
    ("ァ", "ア"),
    ("ヵ", "カ"),
    ("ヶ", "ケ"),
    ("ヮ", "ワ"),
    # オ段 + ウ, long-vowel presence
    ("サトウ", "サトオ"),
    ("サトウ", "サトー"),
    ("サトウ", "サト"),
    ("オオノ", "オノ"),
    ("コウダ", "コーダ"),
    ("ユウコ", "ユーコ"),
    # dash variants of the long vowel
    ("ヤマダー", "ヤマダ―"),
    ("ヤマダー", "ヤマダ－"),
    ("ヤマダー", "ヤマダ‐"),
    ("ヤマダー", "ﾔﾏﾀﾞｰ"),
    ("ヤマダー", "ヤマダ-"),
    # full/half width, hiragana/katakana, spaces (full and half width, between 氏 and 名)
    ("ヤマダ", "ﾔﾏﾀﾞ"),
    ("ヤマダ", "やまだ"),
    ("ヤマダ タロウ", "ヤマダ　タロウ"),
    ("ヤマダ タロウ", "ヤマダタロウ"),
    ("ヤマダ　タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
    ("パン", "ﾊﾟﾝ"),
    ("ササキ", "サヽキ"),
    ("ささき", "さゝき"),
]


@pytest.mark.parametrize(("a", "b"), EQUIVALENT)
def test_equivalent(a: str, b: str) -> None:
    assert fold_kana(a) == fold_kana(b)


DISTINCT = [
    ("サトウ", "サイトウ"),
    ("カ", "キ"),
    ("ヤマダ", "ヤマモト"),
    ("チ", "シ"),  # ヂ≡ジ is chosen over ヂ≡チ so that the relation stays transitive
    ("ハナ", "ハル"),
]


@pytest.mark.parametrize(("a", "b"), DISTINCT)
def test_distinct(a: str, b: str) -> None:
    assert fold_kana(a) != fold_kana(b)


def test_examples() -> None:
    assert fold_kana("ジュウミン　タロウ") == "シユミンタロ"
    assert fold_kana("ヴァイオリン") == "ハイオリン"
    assert fold_kana("") == ""
    assert fold_kana("山田") == "山田"  # kanji are not kana; they pass through


def test_search_by_given_name_only() -> None:
    assert kana_matches("ヤマダ　タロウ", "たろう")
    assert kana_matches("ヤマダ　タロウ", "ﾀﾛｰ")
    assert not kana_matches("ヤマダ　タロウ", "ジロウ")


KANA = "".join(chr(c) for c in range(0x3041, 0x3097)) + "".join(chr(c) for c in range(0x30A1, 0x3100))
HALF = "".join(chr(c) for c in range(0xFF61, 0xFFA0))
EXTRA = " 　-‐―－ｰ〜~゛゜\u3099\u309aヽヾゝゞeé\u0301A"


@given(st.text(alphabet=KANA + HALF + EXTRA, max_size=30))
def test_fold_is_idempotent_on_kana(text: str) -> None:
    key = fold_kana(text)
    assert fold_kana(key) == key


@given(st.text(max_size=30))
def test_fold_is_idempotent_on_any_text(text: str) -> None:
    key = fold_kana(text)
    assert fold_kana(key) == key


@given(st.text(alphabet=KANA + HALF + " 　", max_size=20))
@example("ゐﾞ")  # found by hypothesis: ゐ + ゛ (no composed hiragana) folded apart from ヸ
def test_fold_ignores_width_and_script(text: str) -> None:
    assert fold_kana(to_fullwidth_katakana(text)) == fold_kana(text)


# --- storage conversion ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ｼﾞｭｳﾐﾝ ﾀﾛｳ", "ジュウミン タロウ"),
        ("ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ", "パピプペポ"),
        ("ｳﾞｧｲｵﾘﾝ", "ヴァイオリン"),
        ("ｦｧｨｩｪｫｬｭｮｯｰ", "ヲァィゥェォャュョッー"),
        ("ｽｽﾞｷ･ｲﾁﾛｳ｡", "スズキ・イチロウ。"),
        ("じゅうみん", "ジュウミン"),
        ("ｱﾞ", "ア゛"),  # no precomposed form: keep the mark visible
        ("ﾞ", "゛"),
        ("カﾞ", "ガ"),
        ("山田 ﾀﾛｳ", "山田 タロウ"),
        ("\ufa19ﾀﾞ", "\ufa19ダ"),  # compatibility ideograph untouched (no NFKC on names)
        ("ABC　１２３", "ABC　１２３"),
    ],
)
def test_to_fullwidth_katakana(text: str, expected: str) -> None:
    assert to_fullwidth_katakana(text) == expected


def test_to_fullwidth_katakana_can_keep_hiragana() -> None:
    assert to_fullwidth_katakana("やまだ ﾀﾛｳ", hiragana=False) == "やまだ タロウ"
    assert to_fullwidth_katakana("かﾞ", hiragana=False) == "が"


@given(st.text(alphabet=KANA + HALF + "漢字 　AZ", max_size=30))
def test_to_fullwidth_katakana_leaves_no_half_width_kana_and_is_idempotent(text: str) -> None:
    out = to_fullwidth_katakana(text)
    assert not any(0xFF61 <= ord(c) <= 0xFF9F for c in out)
    assert to_fullwidth_katakana(out) == out
