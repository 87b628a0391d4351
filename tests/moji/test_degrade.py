"""縮退 to JIS X 0208 / 0213: examples of moji.md §3, deciding table, no-target cases, opt-in tables."""

from __future__ import annotations

import pytest

from lgcloud.moji import degrade_char, degrade_text
from lgcloud.moji.degrade import STEP_BASE, STEP_IDENTITY, STEP_JIS_CODE, NoDegradeTarget

KOSEKI = "戸籍統一文字情報_親字正字"


@pytest.mark.parametrize(
    ("char", "target", "table"),
    [
        ("髙", "高", STEP_JIS_CODE),  # JIS 包摂
        ("𠮷", "吉", STEP_JIS_CODE),
        ("㡌", "帽", STEP_JIS_CODE),
        ("﨑", "崎", KOSEKI),
        ("濵", "浜", KOSEKI),
        ("德", "徳", KOSEKI),
        ("黑", "黒", KOSEKI),
        ("靏", "鶴", KOSEKI),
        ("𣘺", "橋", KOSEKI),
        ("㔫", "左", KOSEKI),  # the naive order (類字 first) would give 尢
        ("邊", "邊", STEP_IDENTITY),  # 邊 and 邉 are themselves JIS X 0208
        ("邉", "邉", STEP_IDENTITY),
        ("齋", "齋", STEP_IDENTITY),
        ("邉\U000e010f", "邉", STEP_JIS_CODE),
        ("\ufa19", "神", STEP_BASE),  # compatibility ideograph → its unified character
        ("あ", "あ", STEP_IDENTITY),
    ],
)
def test_degrade_to_0208(char: str, target: str, table: str) -> None:
    result = degrade_char(char)
    assert (result.target, result.table) == (target, table)


@pytest.mark.parametrize("char", ["﨔", "殛", "莩", "\ue000", "😀"])
def test_no_target_is_reported_not_guessed(char: str) -> None:
    result = degrade_char(char)
    assert result.target is None and result.table is None


def test_degrade_to_0213_keeps_0213_characters() -> None:
    assert degrade_char("﨑", "jisx0213").target == "﨑"
    assert degrade_char("﨔", "jisx0213").target == "﨔"
    assert degrade_char("髙", "jisx0213").target == "高"


def test_lookalike_and_related_tables_only_on_request(moji_index) -> None:  # type: ignore[no-untyped-def]
    only_loose = next(
        rec
        for rec in moji_index.records.values()
        if degrade_char(rec.glyph).target is None
        and degrade_char(rec.glyph, allow_lookalike=True).table == "法務省告示582号別表第四_二"
    )
    loose = degrade_char(only_loose.glyph, allow_lookalike=True)
    assert loose.target is not None
    related = next(
        rec
        for rec in moji_index.records.values()
        if degrade_char(rec.glyph, allow_lookalike=True).target is None
        and degrade_char(rec.glyph, allow_related=True).table == "辞書類等による関連字"
    )
    assert degrade_char(related.glyph).target is None


def test_degrade_text_reports_failures_with_positions() -> None:
    report = degrade_text("髙橋﨔子")
    assert report.text == "高橋﨔子"
    assert [(off, d.source, d.target) for off, d in report.changes] == [(0, "髙", "高")]
    assert [(off, d.source) for off, d in report.failures] == [(2, "﨔")]
    with pytest.raises(NoDegradeTarget) as err:
        degrade_text("髙橋﨔子", strict=True)
    assert err.value.detail["failures"][0]["offset"] == 2


def test_degrade_is_deterministic() -> None:
    text = "德濵﨑𠮷髙邉\U000e010f"
    assert degrade_text(text).text == degrade_text(text).text == "徳浜崎吉高邉"


def test_ascii_and_halfwidth_kana_pass_unchanged() -> None:
    report = degrade_text("A-1 ｱｲ 髙")
    assert report.text == "A-1 ｱｲ 高" and report.ok


def test_unknown_target_is_a_clear_error() -> None:
    from lgcloud.errors import LgcloudError

    with pytest.raises(LgcloudError) as err:
        degrade_char("髙", "shift_jis")
    assert err.value.code == "moji-invalid-target"
