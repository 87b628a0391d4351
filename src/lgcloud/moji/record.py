"""One MJ glyph (a row of the MJ文字情報一覧表), as held in the in-memory index."""

from __future__ import annotations

from typing import Any, NamedTuple


class MjRecord(NamedTuple):
    mj: str  # MJ文字図形名, e.g. "MJ028902"
    ucs: str | None  # 対応するUCS: the abstract character, no variation selector
    implemented_ucs: str | None  # 実装したUCS: set when this glyph is the default at that code point
    ivs: str | None  # 実装したMoji_JohoコレクションIVS (base + VS17..256)
    svs: str | None  # 実装したSVS (base + VS1)
    compat: str | None  # 対応する互換漢字 (CJK compatibility ideograph)
    koseki: str | None  # 戸籍統一文字番号 (6 digits)
    juki: str | None  # 住基ネット統一文字コード, "J+XXXX"
    touki: str | None  # 登記統一文字番号 (8 digits)
    nyukan_seiji: str | None  # 入管正字コード
    nyukan_gaiji: str | None  # 入管外字コード
    kanji_policy: str | None  # 漢字施策: 常用漢字 / 人名用漢字
    x0213: str | None  # JIS X 0213 plane-row-cell
    x0213_inclusion: int | None  # X0213_包摂区分: 0 = exact, 2 = unified by a 包摂規準
    x0213_rule: str | None  # X0213_包摂連番
    x0212: str | None
    strokes: int | None  # 総画数
    version: str | None  # MJ文字図形バージョン
    daikanwa: str | None  # 大漢和 number
    note: str | None  # 備考
    readings: tuple[str, ...]  # 読み (音: katakana, 訓: hiragana)
    radicals: tuple[tuple[int, int], ...]  # (部首 number, 内画数)

    @property
    def glyph(self) -> str:
        """The Unicode text that shows exactly this glyph (code point, IVS or SVS)."""
        return self.implemented_ucs or self.ivs or self.svs or self.ucs or ""

    @property
    def ivs_only(self) -> bool:
        """Reachable only through a variation sequence (no code point of its own)."""
        return self.implemented_ucs is None

    def as_dict(self) -> dict[str, Any]:
        data = self._asdict()
        data["glyph"] = self.glyph
        data["readings"] = list(self.readings)
        data["radicals"] = [list(pair) for pair in self.radicals]
        return data
