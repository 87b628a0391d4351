"""和暦 ⇄ 西暦 and the JpDate value object (standards.md §2.3)."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lgcloud.codes import (
    WAREKI_STYLES,
    CodesError,
    DateKind,
    JpDate,
    era,
    era_of,
    eras,
    from_wareki,
    to_wareki,
)

EXACT = DateKind.EXACT
NON_CAL = DateKind.NON_CALENDAR
UNKNOWN = DateKind.UNKNOWN

# --- era boundaries, both sides ---------------------------------------------------------------------------

BOUNDARIES = [
    # text, kind, iso
    ("明治6年1月1日", EXACT, "1873-01-01"),
    ("明治5年12月31日", NON_CAL, "1872-12-31"),  # 旧暦: written date, not convertible exactly
    ("明治45年7月29日", EXACT, "1912-07-29"),
    ("明治45年7月30日", EXACT, "1912-07-30"),  # accepted by the standard (改元 on the same day)
    ("明治45年7月31日", NON_CAL, "1912-07-31"),
    ("大正元年7月29日", NON_CAL, "1912-07-29"),
    ("大正元年7月30日", EXACT, "1912-07-30"),
    ("大正15年12月24日", EXACT, "1926-12-24"),
    ("大正15年12月25日", EXACT, "1926-12-25"),  # accepted by the standard
    ("大正15年12月26日", NON_CAL, "1926-12-26"),
    ("昭和元年12月24日", NON_CAL, "1926-12-24"),
    ("昭和元年12月25日", EXACT, "1926-12-25"),
    ("昭和64年1月7日", EXACT, "1989-01-07"),
    ("昭和64年1月8日", NON_CAL, "1989-01-08"),
    ("平成元年1月7日", NON_CAL, "1989-01-07"),
    ("平成元年1月8日", EXACT, "1989-01-08"),
    ("平成31年4月30日", EXACT, "2019-04-30"),
    ("平成31年5月1日", NON_CAL, "2019-05-01"),
    ("令和元年4月30日", NON_CAL, "2019-04-30"),
    ("令和元年5月1日", EXACT, "2019-05-01"),
]


@pytest.mark.parametrize(("text", "kind", "iso"), BOUNDARIES)
def test_era_boundaries(text: str, kind: DateKind, iso: str) -> None:
    d = JpDate.parse(text)
    assert (d.kind, d.iso) == (kind, iso)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(1912, 7, 29), "明治45年7月29日"),
        (dt.date(1912, 7, 30), "大正元年7月30日"),  # overlap day: the new era wins
        (dt.date(1926, 12, 25), "昭和元年12月25日"),
        (dt.date(1989, 1, 7), "昭和64年1月7日"),
        (dt.date(1989, 1, 8), "平成元年1月8日"),
        (dt.date(2019, 4, 30), "平成31年4月30日"),
        (dt.date(2019, 5, 1), "令和元年5月1日"),
        (dt.date(1873, 1, 1), "明治6年1月1日"),
    ],
)
def test_to_wareki_boundaries(day: dt.date, expected: str) -> None:
    assert to_wareki(day) == expected


def test_to_wareki_refuses_lunisolar_meiji() -> None:
    with pytest.raises(CodesError):
        to_wareki(dt.date(1872, 12, 31))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("明治", 45, 7, 30), dt.date(1912, 7, 30)),
        (("大正", 15, 12, 25), dt.date(1926, 12, 25)),
        (("H", 31, 4, 30), dt.date(2019, 4, 30)),
        (("5", 1, 5, 1), dt.date(2019, 5, 1)),
        (("05", 5, 3, 1), dt.date(2023, 3, 1)),
        (("令", 5, 3, 1), dt.date(2023, 3, 1)),
    ],
)
def test_from_wareki(args: tuple[str, int, int, int], expected: dt.date) -> None:
    assert from_wareki(*args) == expected


@pytest.mark.parametrize(
    "args",
    [
        ("平成", 31, 5, 1),
        ("令和", 1, 4, 30),
        ("昭和", 64, 1, 8),
        ("令和", 5, 2, 30),
        ("平成", 32, 1, 1),
        ("令和", 0, 1, 1),
        ("明治", 5, 1, 1),
        ("X", 1, 1, 1),
    ],
)
def test_from_wareki_rejects(args: tuple[str, int, int, int]) -> None:
    with pytest.raises(CodesError):
        from_wareki(*args)


def test_era_table_is_contiguous() -> None:
    table = eras()
    assert [e.name for e in table] == ["明治", "大正", "昭和", "平成", "令和"]
    for older, newer in itertools.pairwise(table):
        assert older.end is not None
        assert newer.start - older.end <= dt.timedelta(days=1)
        assert older.end <= newer.start
    assert table[-1].end is None
    assert era("r") is era("令和") is era("5") is era("05") is era_of(dt.date(2030, 1, 1))


# --- input forms ---------------------------------------------------------------------------------------------

FORMS = [
    "令和5年3月1日",
    "令和５年３月１日",
    "令和 5年 3月 1日",
    "令和五年三月一日",
    "令和05年03月01日",
    "R05.03.01",
    "R5.3.1",
    "r5/3/1",
    "Ｒ０５．０３．０１",
    "令5.3.1",
    "令和5.3.1",
    "R050301",
    "5050301",
    "05050301",
    "2023-03-01",
    "2023/3/1",
    "2023.03.01",
    "2023年3月1日",
    "西暦2023年3月1日",
    "20230301",
    "二〇二三年三月一日",
    "  令和5年3月1日  ",
]


@pytest.mark.parametrize("text", FORMS)
def test_accepted_forms(text: str) -> None:
    d = JpDate.parse(text)
    assert (d.kind, d.iso) == (EXACT, "2023-03-01")
    assert d.wareki() == "令和5年3月1日"
    assert d.to_date() == dt.date(2023, 3, 1)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("令和元年5月1日", "2019-05-01"),
        ("R01.05.01", "2019-05-01"),
        ("5010501", "2019-05-01"),
        ("5030301", "2021-03-01"),  # the example of the issue: GYYMMDD, 1-digit era code
        ("平成十五年一月七日", "2003-01-07"),
        ("平成15.01.07", "2003-01-07"),  # the form of the standard's own example
        ("㍻31年4月30日", "2019-04-30"),
        ("S64.01.07", "1989-01-07"),
        ("3640107", "1989-01-07"),
        ("03640107", "1989-01-07"),
        ("昭和三十一年十二月三十一日", "1956-12-31"),
    ],
)
def test_more_forms(text: str, iso: str) -> None:
    assert JpDate.parse(text).iso == iso


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "令和",
        "令和0年1月1日",
        "平成32年1月1日",
        "令和5年13月1日",
        "令和5年3月32日",
        "6050301",
        "X05.03.01",
        "2023-3-1-1",
        "abc",
        "令和5年3月1日ごろ?",
        "上旬",
        "令和5年上旬",
        "令和5年3月春",
        "令和5年3月10日から3月1日までの間",
        "令和5年3月1日 日不詳",
        "1" * 200,
    ],
)
def test_rejected(text: str) -> None:
    with pytest.raises(CodesError):
        JpDate.parse(text)


# --- non-calendar and 不詳 -------------------------------------------------------------------------------------

SPECIAL = [
    # text, kind, iso, wareki
    ("令和5年2月30日", NON_CAL, "2023-02-28", "令和5年2月30日"),
    ("令和5年4月31日", NON_CAL, "2023-04-30", "令和5年4月31日"),
    ("平成元年2月29日", NON_CAL, "1989-02-28", "平成元年2月29日"),
    ("2023年2月29日", NON_CAL, "2023-02-28", "令和5年2月29日"),
    ("令和2年頃", UNKNOWN, "2020-01-01", "令和2年頃"),
    ("令和2年ころ", UNKNOWN, "2020-01-01", "令和2年頃"),
    ("令和2年3月頃", UNKNOWN, "2020-03-01", "令和2年3月頃"),
    ("推定令和2年3月1日", UNKNOWN, "2020-03-01", "推定令和2年3月1日"),
    ("推定令和2年", UNKNOWN, "2020-01-01", "推定令和2年"),
    ("令和2年春", UNKNOWN, "2020-03-01", "令和2年春"),
    ("令和2年秋", UNKNOWN, "2020-09-01", "令和2年秋"),
    ("令和2年3月上旬", UNKNOWN, "2020-03-01", "令和2年3月上旬"),
    ("令和2年3月中旬", UNKNOWN, "2020-03-11", "令和2年3月中旬"),
    ("令和2年3月下旬頃", UNKNOWN, "2020-03-21", "令和2年3月下旬頃"),
    ("年月日不詳", UNKNOWN, None, "年月日不詳"),
    ("不詳", UNKNOWN, None, "年月日不詳"),
    ("令和2年 月日不詳", UNKNOWN, "2020-01-01", "令和2年 月日不詳"),
    ("令和2年月日不詳", UNKNOWN, "2020-01-01", "令和2年 月日不詳"),
    ("令和2年3月 日不詳", UNKNOWN, "2020-03-01", "令和2年3月 日不詳"),
    ("令和2年3月", UNKNOWN, "2020-03-01", "令和2年3月"),
    ("令和2年", UNKNOWN, "2020-01-01", "令和2年"),
    ("2023-03", UNKNOWN, "2023-03-01", "令和5年3月"),
    ("3500000", UNKNOWN, "1975-01-01", "昭和50年"),  # legacy fixed-width: 00 = unknown
    ("令和2年3月1日から3月10日頃までの間", UNKNOWN, "2020-03-01", "令和2年3月1日から3月10日頃までの間"),
    ("令和2年3月1日から10日までの間", UNKNOWN, "2020-03-01", "令和2年3月1日から3月10日までの間"),
    ("令和2年12月25日から令和3年1月5日までの間", UNKNOWN, "2020-12-25", "令和2年12月25日から令和3年1月5日までの間"),
    ("令和2年3月1日～令和2年3月10日", UNKNOWN, "2020-03-01", "令和2年3月1日から3月10日までの間"),
    ("明治3年5月1日", NON_CAL, "1870-05-01", "明治3年5月1日"),
    ("令和2年3月から5月までの間", UNKNOWN, "2020-03-01", "令和2年3月から5月までの間"),
    ("令和2年から令和3年までの間", UNKNOWN, "2020-01-01", "令和2年から令和3年までの間"),
    ("令和2年3月5日から3月まで", UNKNOWN, "2020-03-05", "令和2年3月5日から3月までの間"),
    ("推定令和2年3月1日から3月10日までの間", UNKNOWN, "2020-03-01", "推定令和2年3月1日から3月10日までの間"),
]


@pytest.mark.parametrize(("text", "kind", "iso", "wareki"), SPECIAL)
def test_non_calendar_and_unknown(text: str, kind: DateKind, iso: str | None, wareki: str) -> None:
    d = JpDate.parse(text)
    assert (d.kind, d.iso, d.wareki()) == (kind, iso, wareki)
    assert d.raw == text


ROUND_TRIP = [t for t, *_ in BOUNDARIES + SPECIAL] + FORMS


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_round_trips_through_str_json_and_db(text: str) -> None:
    d = JpDate.parse(text)
    assert JpDate.parse(str(d)) == d
    assert JpDate.from_json(json.loads(json.dumps(d.to_json(), ensure_ascii=False))) == d
    assert JpDate.from_db(d.to_db()) == d
    assert JpDate.from_db(d.to_db()).wareki() == d.wareki()
    assert JpDate.parse(d.wareki()).iso == d.iso
    assert JpDate.parse(d.wareki()).kind == d.kind


def test_raw_text_is_never_rewritten() -> None:
    assert JpDate.parse("令和２年２月３０日").raw == "令和２年２月３０日"
    assert JpDate.parse("明治45年7月30日").wareki() == "明治45年7月30日"  # the era as written stays


def test_exact_only() -> None:
    assert JpDate.parse("令和5年3月1日", exact_only=True).is_exact
    for text in ("令和5年2月30日", "令和2年頃", "年月日不詳"):
        with pytest.raises(CodesError):
            JpDate.parse(text, exact_only=True)
    with pytest.raises(CodesError):
        JpDate.parse("令和2年頃").to_date()


def test_db_form_and_sort_key_sort_by_date_with_unknown_last() -> None:
    texts = ["令和5年3月1日", "年月日不詳", "昭和20年頃", "平成31年4月30日", "令和5年2月30日"]
    by_key = [d.raw for d in sorted((JpDate.parse(t) for t in texts), key=JpDate.sort_key)]
    assert by_key == ["昭和20年頃", "平成31年4月30日", "令和5年2月30日", "令和5年3月1日", "年月日不詳"]
    by_db = sorted(JpDate.parse(t).to_db() for t in texts)
    assert [JpDate.from_db(v).raw for v in by_db] == by_key  # "|" sorts after every digit


def test_from_db_rejects_garbage() -> None:
    with pytest.raises(CodesError):
        JpDate.from_db("no separators")
    with pytest.raises(CodesError):
        JpDate.from_db("2020-01-01|weird|x")


def test_constructors_and_views() -> None:
    d = JpDate.from_date(dt.date(1912, 7, 30))
    assert d.raw == "大正元年7月30日" and d.is_exact and d.era is era("大正")
    w = JpDate.from_date(dt.date(1990, 2, 3), calendar="western")
    assert w.raw == "1990年2月3日" and w.seireki() == "1990年2月3日" and w.wareki() == "平成2年2月3日"
    assert w.era is None
    u = JpDate.unknown()
    assert u.is_unknown and u.iso is None and u.best_date() is None and u.era is None
    assert JpDate.parse("令和5年3月1日").wareki("kanji") == "令和五年三月一日"
    assert JpDate.parse("令和2年3月頃").wareki("kanji") == "令和二年三月頃"
    assert JpDate.parse("令和5年2月30日").wareki("short") == "R05.02.30"
    assert JpDate.parse("令和元年5月1日").wareki("code8") == "05010501"


def test_equal_values_hash_equal() -> None:
    a, b = JpDate.parse("令和5年3月1日"), JpDate.from_db("2023-03-01|exact|令和5年3月1日")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1


# --- properties -----------------------------------------------------------------------------------------------

gregorian_days = st.dates(min_value=dt.date(1873, 1, 1), max_value=dt.date(2117, 12, 31))


@given(gregorian_days, st.sampled_from(WAREKI_STYLES))
def test_every_wareki_style_parses_back_to_the_same_day(day: dt.date, style: str) -> None:
    text = to_wareki(day, style)
    d = JpDate.parse(text)
    assert d.kind is EXACT and d.to_date() == day
    assert d.wareki(style) == text
    assert JpDate.from_db(d.to_db()) == d


@given(gregorian_days)
def test_western_forms_parse_to_the_same_day(day: dt.date) -> None:
    for text in (day.isoformat(), day.strftime("%Y%m%d"), f"{day.year}/{day.month}/{day.day}"):
        assert JpDate.parse(text).to_date() == day


FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@st.composite
def unknown_texts(draw: st.DrawFn) -> str:
    """不詳 / non-calendar texts built from parts, in the forms the standard lists."""
    e = draw(st.sampled_from(eras()[1:]))
    last = e.last_year or 99
    year = draw(st.integers(1, last))
    y = "元" if year == 1 and draw(st.booleans()) else str(year)
    month, day = draw(st.integers(1, 12)), draw(st.integers(1, 31))
    head = f"{e.name}{y}年"
    text = draw(
        st.sampled_from(
            [
                f"{head}頃",
                f"{head}{month}月頃",
                f"推定{head}{month}月{day}日",
                f"{head}{draw(st.sampled_from('春夏秋冬'))}",
                f"{head}{month}月{draw(st.sampled_from(['上旬', '中旬', '下旬']))}",
                f"{head} 月日不詳",
                f"{head}{month}月 日不詳",
                f"{head}{month}月{day}日",
                f"{head}{month}月1日から{month}月{day}日頃までの間",
                f"{head}{month}月から{head}12月までの間",
                "年月日不詳",
            ]
        )
    )
    return text.translate(FULLWIDTH) if draw(st.booleans()) else text


@given(unknown_texts())
def test_unknown_and_non_calendar_round_trip(text: str) -> None:
    d = JpDate.parse(text)
    assert JpDate.parse(str(d)) == d
    assert JpDate.from_db(d.to_db()) == d
    assert JpDate.from_json(d.to_json()) == d
    rendered = d.wareki()
    again = JpDate.parse(rendered)
    assert (again.kind, again.iso, again.wareki()) == (d.kind, d.iso, rendered)


@given(st.text(max_size=30))
def test_parse_never_fails_with_anything_but_a_codes_error(text: str) -> None:
    try:
        d = JpDate.parse(text)
    except CodesError:
        return
    assert JpDate.from_db(d.to_db()) == d


TOKENS = [
    "令和",
    "平成",
    "昭和",
    "明治",
    "R",
    "h",
    "元",
    "年",
    "月",
    "日",
    "頃",
    "推定",
    "から",
    "まで",
    "の間",
    "上旬",
    "下旬",
    "春",
    "冬",
    "不詳",
    "月日不詳",
    "日不詳",
    " ",
    "0",
    "1",
    "2",
    "12",
    "29",
    "30",
    "31",
    "45",
    "64",
    "99",
    "2019",
    "1872",
    "0000",
    "-",
    ".",
    "/",
    "~",
    "〜",
    "十",
    "三",
    "〇",
    "05",
    "5050301",
    "05050301",
]


@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map("".join))
def test_token_soup_parses_or_fails_cleanly(text: str) -> None:
    try:
        d = JpDate.parse(text)
    except CodesError:
        return
    assert d.kind in DateKind
    assert d.iso is None or dt.date.fromisoformat(d.iso)
    assert JpDate.from_db(d.to_db()) == d
    rendered = d.wareki()
    assert JpDate.parse(rendered).iso == d.iso
    assert JpDate.parse(d.seireki()).iso == d.iso


@pytest.mark.parametrize(
    "stored",
    ["2020-01-01|weird|x", "2020-13-01|exact|x", "2020-01-01|exact|", 42],
)
def test_from_db_refuses_values_no_parse_could_produce(stored: object) -> None:
    with pytest.raises(CodesError):
        JpDate.from_db(stored)  # type: ignore[arg-type]


def test_from_json_refuses_incomplete_objects() -> None:
    with pytest.raises(CodesError):
        JpDate.from_json({"kind": "exact"})
    with pytest.raises(CodesError):
        JpDate.from_json({"raw": "x", "kind": "exact", "iso": "not a date"})


def test_western_year_range_and_far_future_era_years() -> None:
    with pytest.raises(CodesError):
        JpDate.parse("3000-01-01")
    far = JpDate.parse("2999-12-31")
    assert far.wareki() == "令和981年12月31日"
    assert JpDate.parse(far.wareki()).iso == far.iso


def test_western_dates_before_meiji_6_display_in_western() -> None:
    d = JpDate.parse("1872-12-31")
    assert d.is_exact and d.wareki() == "1872年12月31日" and d.era is None
    assert JpDate.parse("1870年頃").wareki() == "1870年頃"
