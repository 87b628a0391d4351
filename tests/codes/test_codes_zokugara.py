"""続柄 chain rules (§2.4) and the default household order (§2.11)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from lgcloud.codes import (
    CodesError,
    JpDate,
    best_zokugara,
    compose_zokugara,
    household_sort_key,
    is_valid_zokugara,
    parse_zokugara,
    validate_zokugara,
)

LINKS = ["夫", "妻", "夫（未届）", "妻（未届）", "子", "父", "母", "兄", "姉", "弟", "妹"]


@pytest.mark.parametrize(
    "text",
    [
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
        "子の子",
        "子の子の子の子",
        "父の兄の子",
        "妻の子",
        "妻（未届）の子",
        "子の妻",
        "夫(未届)",
        "子 の 子",
    ],
)
def test_valid(text: str) -> None:
    assert validate_zokugara(text) is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("子の子の子の子の子", "4世代"),
        ("孫", "子の子"),
        ("祖父", "父の父"),
        ("祖母", "母の母"),
        ("おじ", "父の兄"),
        ("おば", "母の妹"),
        ("甥", "兄の子"),
        ("姪", "妹の子"),
        ("家事使用人", "同居人"),
        ("準世帯主", "使えない"),
        ("長男", "「子」"),
        ("孫の子", "子の子"),
        ("世帯主の子", "単独"),
        ("子の縁故者", "単独"),
        ("子（子の夫）の子", "単独"),
        ("義父", "使えません"),
        ("子の", "空"),
        ("", "空"),
        ("  ", "空"),
    ],
)
def test_invalid_with_reason(text: str, fragment: str) -> None:
    reason = validate_zokugara(text)
    assert reason is not None and fragment in reason
    with pytest.raises(CodesError):
        parse_zokugara(text)


def test_every_chain_up_to_four_links_is_valid_and_five_is_not() -> None:
    rng = random.Random(9)
    for length in range(1, 6):
        for _ in range(200):
            links = [rng.choice(LINKS) for _ in range(length)]
            assert is_valid_zokugara("の".join(links)) is (length <= 4)


def test_parse_keeps_links_and_codes() -> None:
    z = parse_zokugara("子の子(未届)".replace("子(未届)", "妻(未届)"))
    assert z.text == "子の妻（未届）" and z.links == ("子", "妻（未届）") and z.codes == ("20", "14")
    assert parse_zokugara("世帯主").codes == ("02",) and not parse_zokugara("世帯主").is_chain


def test_compose() -> None:
    assert compose_zokugara(["子", "子"]) == "子の子"
    assert compose_zokugara(["子"] * 4) == "子の子の子の子"
    assert compose_zokugara(["子"] * 5) == "縁故者"
    assert compose_zokugara(["世帯主"]) == "世帯主"
    for bad in (["孫"], [], ["世帯主", "子"]):
        with pytest.raises(CodesError):
            compose_zokugara(bad)


def test_best_zokugara_takes_the_highest_ranking_expression() -> None:
    assert best_zokugara(["父の兄の子", "妻"]) == "妻"
    assert best_zokugara(["母の子", "兄"]) == "兄"
    with pytest.raises(CodesError):
        best_zokugara([])


def _member(z: str, birth: str | None, atena: str, **kw: object) -> tuple[str, object]:
    return (z + ":" + atena, household_sort_key(z, birth, atena, **kw))  # type: ignore[arg-type]


def test_default_household_order() -> None:
    members = [
        _member("同居人", "昭和50年1月1日", "0009"),
        _member("子の子", "令和3年1月1日", "0010", branch_birth="平成2年5月5日"),  # 孫 of the elder 子
        _member("子", "平成5年1月1日", "0005"),
        _member("母", "昭和10年1月1日", "0012"),
        _member("父", "昭和8年1月1日", "0011", koseki_head=True),
        _member("子の妻", "平成3年3月3日", "0014", branch_birth="平成2年5月5日"),
        _member("妻", "昭和40年1月1日", "0002"),
        _member("子", "平成2年5月5日", "0004"),
        _member("縁故者", "昭和30年1月1日", "0008"),
        _member("世帯主", "昭和38年1月1日", "0001"),
        _member("兄", "昭和35年1月1日", "0013"),
        _member("子の子", "令和4年1月1日", "0015", branch_birth="平成5年1月1日"),  # 孫 of the younger 子
        _member("父の兄の子", "昭和37年1月1日", "0007"),
        _member("父の母", "明治40年1月1日", "0016"),
        _member("子", None, "0003"),  # birth unknown: last among the 子
        _member("子", "平成5年1月1日", "0006"),  # twin: 宛名番号 decides
    ]
    order = [name for name, _ in sorted(members, key=lambda m: m[1])]  # type: ignore[arg-type,return-value]
    assert order == [
        "世帯主:0001",
        "妻:0002",
        "子:0004",
        "子:0005",
        "子:0006",
        "子:0003",
        "子の妻:0014",
        "子の子:0010",
        "子の子:0015",
        "父:0011",
        "母:0012",
        "兄:0013",
        "父の母:0016",
        "父の兄の子:0007",
        "縁故者:0008",
        "同居人:0009",
    ]


def test_sort_key_accepts_dates_and_jpdates_and_rejects_bad_zokugara() -> None:
    a = household_sort_key("子", dt.date(2000, 1, 1), "1")
    b = household_sort_key("子", JpDate.parse("平成12年1月1日"), "1")
    assert a == b
    assert household_sort_key("子", "年月日不詳", "1").birth > a.birth
    with pytest.raises(CodesError):
        household_sort_key("孫", None, "1")
    assert household_sort_key("妻（未届）").group == household_sort_key("夫").group == 1
