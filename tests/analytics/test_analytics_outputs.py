import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from lgcloud.analytics import aggregates as A
from lgcloud.analytics import charts as C
from lgcloud.analytics import status as S
from lgcloud.analytics.apportion import Member, apportion, apportionment_table
from lgcloud.analytics.cost import cost_per_resident_table, lowest_status_by_band
from lgcloud.analytics.municipalities import census_2020_japanese
from lgcloud.analytics.synthetic import paper_snapshot, synthetic_costs
from lgcloud.analytics.tables import export, make_table, to_csv, to_xlsx
from lgcloud.errors import LgcloudError


def test_csv_utf8_and_cp932() -> None:
    table = A.table(A.dataset("h30-t1"))
    assert to_csv(table).decode("utf-8").startswith("導入状況,団体数,割合(%)\r\nクラウド未導入,670,")
    assert to_csv(table, "cp932").decode("cp932") == to_csv(table).decode("utf-8")
    assert to_csv(table, "utf-8-sig").startswith(b"\xef\xbb\xbf")


def test_cp932_refuses_characters_it_cannot_hold() -> None:
    table = make_table("x", "x", ("名",), [("𠮷野家",)])
    with pytest.raises(LgcloudError, match="U\\+20BB7"):
        to_csv(table, "cp932")


def test_xlsx_has_table_and_provenance() -> None:
    table = A.table(A.dataset("h30-t3"))
    workbook = load_workbook(io.BytesIO(to_xlsx(table)))
    rows = list(workbook["表"].iter_rows(values_only=True))
    assert rows[0] == ("目標年度", "団体数") and rows[-1] == ("計", 1166)
    info = dict(workbook["出典"].iter_rows(values_only=True))
    assert info["基準日"] == "2018-06-15" and "本田" in info["出典"]
    _content, media, name = export(table, "xlsx")
    assert name == "h30-t3.xlsx" and "spreadsheetml" in media


def test_xlsx_never_turns_text_into_a_formula() -> None:
    table = make_table("x", "x", ("グループ",), [('=HYPERLINK("http://example.com")',)])
    workbook = load_workbook(io.BytesIO(to_xlsx(table)))
    cell = workbook["表"]["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def check_chart(chart: C.Chart, tmp_path: Path, series: int) -> None:
    assert len(chart.series) == series
    svg = chart.save(tmp_path / f"{chart.key}.svg")
    png = chart.save(tmp_path / f"{chart.key}.png")
    assert svg.stat().st_size > 1000 and png.stat().st_size > 1000
    assert png.read_bytes().startswith(b"\x89PNG")
    assert C.series_in_svg(svg.read_bytes()) == series


def test_charts_render_with_the_right_number_of_series(tmp_path: Path) -> None:
    snapshot = paper_snapshot()
    check_chart(C.status_breakdown_chart(S.status_by_band(snapshot)), tmp_path, 3)
    check_chart(C.status_breakdown_chart(S.status_by_prefecture(snapshot)), tmp_path, 3)
    check_chart(C.counts_chart(A.table(A.dataset("h30-t3"))), tmp_path, 1)
    check_chart(C.trend_chart(A.trend_table()), tmp_path, 4)  # 3 statuses + total
    costs = cost_per_resident_table(synthetic_costs(snapshot, census_2020_japanese().values), snapshot)
    check_chart(C.cost_chart(costs), tmp_path, 3)
    members = [Member("011002", "札幌市", 1_933_094, 5), Member("012025", "函館市", 243_000, 3)]
    table = apportionment_table(apportion(1000, members, {"equal": 1, "population": 2}))
    check_chart(C.apportionment_chart(table), tmp_path, 2)


def test_unknown_chart_format() -> None:
    with pytest.raises(LgcloudError):
        C.counts_chart(A.table(A.dataset("h30-t1"))).render("gif")


def test_cost_per_resident_by_band_and_status() -> None:
    snapshot = paper_snapshot()
    population = census_2020_japanese()
    costs = synthetic_costs(snapshot, population.values)
    table = cost_per_resident_table(costs, snapshot, fiscal_year=2017)
    assert table.rows[-1][0] == "全体"
    total_count = table.rows[-1][table.columns.index("全体 団体数")]
    assert total_count == len(costs) == 1740  # 双葉町 (075469): 0 residents in 2020
    total_yen = table.rows[-1][table.columns.index("全体 円/人")]
    expected = round(sum(costs.values()) / sum(population.of(c) or 0 for c in costs), 1)
    assert total_yen == expected
    lowest = lowest_status_by_band(table)
    assert lowest["全体"] == "自治体クラウド"


def test_cost_without_status() -> None:
    table = cost_per_resident_table({"011002": 1_000_000})
    assert any("状況別の内訳なし" in n for n in table.notes)
