"""Matching key: the folds and the keep-aparts of the issue and moji.md §4."""

from __future__ import annotations

import pytest

from lgcloud.moji import matching_key
from lgcloud.moji.matching import key_group, key_path


@pytest.mark.parametrize(
    "group",
    [
        ("髙", "高"),
        ("﨑", "崎"),
        ("邊", "邉", "辺"),
        ("澤", "沢"),
        ("齋", "斎"),
        ("濵", "濱", "浜"),
        ("𠮷", "吉"),
        ("德", "徳"),
        ("廣", "広"),
        ("嶋", "島"),
        ("\ufa19", "神"),
        ("邉\U000e010f", "邉"),
    ],
)
def test_folds(group: tuple[str, ...]) -> None:
    assert len({matching_key(c) for c in group}) == 1


@pytest.mark.parametrize(
    "pair", [("齊", "斎"), ("埼", "﨑"), ("埼", "崎"), ("途", "澤"), ("頻", "濵"), ("切", "功"), ("島", "雀")]
)
def test_keeps_apart(pair: tuple[str, str]) -> None:
    assert matching_key(pair[0]) != matching_key(pair[1])


def test_whole_names() -> None:
    assert matching_key("髙橋 﨑子") == matching_key("高橋 崎子")
    assert matching_key("渡邉\U000e010f") == matching_key("渡邊") == matching_key("渡辺")
    assert matching_key("埼玉") != matching_key("﨑玉")


def test_key_is_for_search_only_input_untouched() -> None:
    name = "髙橋\ufa19"
    matching_key(name)
    assert name == "髙橋\ufa19"


def test_groups_and_paths() -> None:
    assert {"辺", "邊", "邉"} <= set(key_group("邊"))
    assert key_path("邉") == [("辺", "戸籍統一文字情報_親字正字")]
    assert key_path("辺") == []
