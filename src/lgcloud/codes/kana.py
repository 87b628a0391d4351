"""Kana folding for fuzzy name search (standards.md §2.12) and half-width kana clean-up for storage.

`fold_kana` is a *search key*: it is applied to the stored フリガナ when indexing and to the query when
searching, and two texts match when their keys are equal. It is never stored in place of the name.
Each rule is a separate step so that the result is idempotent (``fold_kana(fold_kana(x)) == fold_kana(x)``).

Equivalence must be transitive, so where the standard's pairs would chain (ヂ~ジ by sound, ヂ~チ by 清濁)
one side is chosen: ヂ→ジ and ヅ→ズ first, then voicing is dropped, so ヂ ≡ ジ ≡ シ but ヂ ≢ チ.
"""

from __future__ import annotations

import re
import unicodedata

_HIRAGANA_TO_KATAKANA = {c: c + 0x60 for c in range(0x3041, 0x3097)} | {0x309D: 0x30FD, 0x309E: 0x30FE}

# ヴ + small vowel is one mora (ヴァイオリン ≡ バイオリン); handled before small kana become large.
_VU_FORMS = {
    "ヴァ": "バ",
    "ヴィ": "ビ",
    "ヴェ": "ベ",
    "ヴォ": "ボ",
    "ヴ": "ブ",
    "ヷ": "バ",
    "ヸ": "ビ",
    "ヹ": "ベ",
    "ヺ": "ボ",
}
_VU_PATTERN = re.compile("|".join(sorted(_VU_FORMS, key=len, reverse=True)))

# Sound-alike pairs of the standard (ヂ/ジ, ヅ/ズ, ワ/ハ, オ/ヲ) and obsolete kana (ヰ, ヱ).
_SOUND_ALIKE = str.maketrans("ヂヅワヲヰヱ", "ジズハオイエ")

_SMALL_TO_LARGE = str.maketrans(
    "ァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ",
    "アイウエオツヤユヨワカケクシストヌハヒフヘホムラリルレロ",
)

# Long-vowel marks and the dashes people type for them (ー ― － ‐ ｰ - and relatives), plus all spaces.
_DROPPED = re.compile(r"[\s\u30FC\u2015\uFF0D\u2010\u2011\u2012\u2013\u2014\u2212\uFF70\-~\u301C\uFF5E]+")

# The vowel (段) of each large katakana, for the long-vowel rule.
_VOWEL_ROWS = {
    "ア": "アカサタナハマヤラ",
    "イ": "イキシチニヒミリ",
    "ウ": "ウクスツヌフムユル",
    "エ": "エケセテネヘメレ",
    "オ": "オコソトノホモヨロ",
}
_VOWEL_OF = {kana: vowel for vowel, row in _VOWEL_ROWS.items() for kana in row}


def _unvoiced_table() -> dict[int, str]:
    """Katakana with ゛/゜ → the plain kana (ガ→カ, パ→ハ); the marks themselves disappear."""
    table: dict[int, str] = {}
    for code in range(0x30A1, 0x30FB):
        decomposed = unicodedata.normalize("NFD", chr(code))
        if len(decomposed) == 2 and decomposed[1] in "\u3099\u309a":
            table[code] = decomposed[0]
    for mark in "\u3099\u309a\u309b\u309c":
        table[ord(mark)] = ""
    return table


_UNVOICED = _unvoiced_table()


def _expand_iteration_marks(text: str) -> str:
    """ヽ/ヾ repeat the kana before them (ササキ written サヽキ); voicing is folded away later anyway."""
    out: list[str] = []
    for ch in text:
        out.append(out[-1] if ch in "ヽヾ" and out else ch)
    return "".join(out)


def _collapse_long_vowels(text: str) -> str:
    """Drop a vowel that only lengthens the previous kana: オ段 + ウ/オ (サトウ ≡ サトオ ≡ サト), and a
    repeated vowel of the same 段 (ユウコ ≡ ユコ, マアヤ ≡ マヤ). Together with dropping ー this makes the
    presence of a long vowel irrelevant, as the standard asks. エ段 + イ (ケイコ/ケーコ) is not folded: the
    standard does not list it, and it would merge names such as セイ and セ.
    """
    out: list[str] = []
    for ch in text:
        prev_vowel = _VOWEL_OF.get(out[-1]) if out else None
        if prev_vowel is not None and (ch == prev_vowel or (prev_vowel == "オ" and ch == "ウ")):
            continue
        out.append(ch)
    return "".join(out)


def fold_kana(text: str) -> str:
    """The fuzzy-search key of a kana text (every rule of standards.md §2.12).

    Ignores: hiragana/katakana, full/half width, spaces, 清音/濁音/半濁音 (ガ→カ, パ→ハ), ヂ/ジ, ヅ/ズ, ワ/ハ,
    オ/ヲ, ヴ forms (ヴァ→バ…), small/large kana (ッ/ツ, ャ/ヤ), long vowels (ー and dash variants, オ段+ウ).
    """
    # NFC after the script change: hiragana ゐ + ゛ has no composed form, katakana ヸ has (and is a ヴ form)
    s = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", text).translate(_HIRAGANA_TO_KATAKANA))
    s = _expand_iteration_marks(s)
    s = _VU_PATTERN.sub(lambda m: _VU_FORMS[m.group()], s)
    s = s.translate(_SOUND_ALIKE).translate(_UNVOICED)
    s = s.translate(_SMALL_TO_LARGE).translate(_SOUND_ALIKE)  # ヮ becomes ワ, then ハ
    s = _DROPPED.sub("", s)
    # Removing spaces can bring a letter next to a combining mark; recompose so a second pass changes nothing.
    return _collapse_long_vowels(unicodedata.normalize("NFKC", s))


def kana_matches(stored: str, query: str) -> bool:
    """Whether ``query`` finds ``stored`` under fuzzy search: the query's key occurs in the stored key.

    Substring rather than equality, because the standard allows searching by 名 only.
    """
    return fold_kana(query) in fold_kana(stored)


# --- storage conversion ----------------------------------------------------------------------------------

_HALFWIDTH_KANA = {chr(c): unicodedata.normalize("NFKC", chr(c)) for c in range(0xFF61, 0xFFA0)}
_SPACING_MARK = {"\u3099": "\u309b", "\u309a": "\u309c"}


def to_fullwidth_katakana(text: str, *, hiragana: bool = True) -> str:
    """Half-width katakana → full-width (ｶﾞ → ガ, ｰ → ー), and hiragana → katakana unless ``hiragana=False``.

    Only kana change: kanji, Latin letters and spaces are left exactly as they are (names are legal data and
    must not go through NFKC). A ﾞ/ﾟ that cannot combine with the kana before it becomes ゛/゜.
    """
    out: list[str] = []
    for ch in text:
        full = _HALFWIDTH_KANA.get(ch, ch)
        if hiragana:
            full = full.translate(_HIRAGANA_TO_KATAKANA)
        if full in _SPACING_MARK:
            composed = unicodedata.normalize("NFC", out[-1] + full) if out else ""
            if len(composed) == 1:
                out[-1] = composed
                continue
            full = _SPACING_MARK[full]
        out.append(full)
    return "".join(out)
