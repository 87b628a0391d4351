"""Code tables: versioned data files, zero-padded string codes, the 異動事由 classes of §2.8."""

from __future__ import annotations

import pytest

from lgcloud.codes import TABLE_NAMES, CodesError, all_code_tables, code_table


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_every_table_has_version_source_and_string_codes(name: str) -> None:
    table = code_table(name)
    assert table.version and table.source
    assert len(table) > 0
    widths = {len(code) for code in table.codes()}
    assert len(widths) == 1
    assert all(isinstance(c, str) and c.isascii() and c.isdigit() for c in table.codes())
    assert len(set(table.codes())) == len(table)


def test_japanese_titles_are_aliases() -> None:
    assert code_table("続柄") is code_table("zokugara")
    assert code_table("性別").label("2") == "女"
    assert {t.title for t in all_code_tables()} == {"年号", "性別", "住民種別", "住民状態", "異動事由", "続柄"}


def test_unknown_table_and_code() -> None:
    with pytest.raises(CodesError):
        code_table("nope")
    with pytest.raises(CodesError):
        code_table("sex").get("3")
    assert "3" not in code_table("sex") and "1" in code_table("sex")


def test_small_tables() -> None:
    assert dict(zip(code_table("resident_type").codes(), ["日本人", "外国人"], strict=True)) == {
        e.code: e.name for e in code_table("resident_type")
    }
    assert [e.name for e in code_table("resident_status")] == ["住民", "転出者", "死亡者", "その他消除者"]
    assert [(e.code, e.name, e["code2"]) for e in code_table("era")][-1] == ("5", "令和", "05")


# §2.8, restated here: every reason the standard lists, in its class.
IDOU_CLASSES = {
    "記載": [
        "国内転入",
        "国外転入等",
        "出生",
        "職権記載（帰化等）",
        "職権記載（国籍喪失）",
        "職権記載",
        "改製",
        "再製",
        "異動の取消し（増）",
    ],
    "消除": [
        "国内転出",
        "国外転出",
        "死亡",
        "職権消除（帰化等）",
        "職権消除（国籍喪失）",
        "職権消除",
        "改製",
        "再製",
        "異動の取消し（減）",
    ],
    "修正": [
        "転居",
        "軽微な修正",
        "職権修正",
        "誤記修正",
        "個人番号の変更請求",
        "個人番号の職権修正",
        "個人番号の職権記載",
        "住民票コードの変更請求",
        "住民票コードの職権記載",
        "世帯分離",
        "世帯合併",
        "世帯変更",
        "世帯主変更",
        "旧氏の記載",
        "旧氏の変更",
        "旧氏の削除",
        "通称の記載",
        "通称の削除",
        "異動の取消し（修正）",
    ],
}


def test_idou_reasons_cover_the_standard_exactly() -> None:
    table = code_table("idou_reason")
    actual = {(e.name, e["class"]) for e in table}
    expected = {(name, cls) for cls, names in IDOU_CLASSES.items() for name in names}
    assert actual == expected
    assert "転居取消" not in {e.name for e in table}  # 「実装しない」
    assert [e["class"] for e in table.by_name("改製")] == ["記載", "消除"]


def test_idou_reasons_restricted_to_one_kind_of_resident() -> None:
    table = code_table("idou_reason")
    assert table.by_name("職権記載（帰化等）")[0]["residents"] == "japanese"
    assert table.by_name("職権消除（帰化等）")[0]["residents"] == "foreign"
    assert {e["residents"] for e in table} == {"all", "japanese", "foreign"}


def test_zokugara_table_terms() -> None:
    names = {e.name for e in code_table("zokugara")}
    assert names == {
        "世帯主",
        "夫",
        "妻",
        "夫（未届）",
        "妻（未届）",
        "子",
        "子（子の夫）",
        "子（子の妻）",
        "父",
        "母",
        "兄",
        "姉",
        "弟",
        "妹",
        "縁故者",
        "同居人",
    }
    assert code_table("zokugara").get("02").name == "世帯主"
