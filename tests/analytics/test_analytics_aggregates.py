from datetime import date

from lgcloud.analytics import aggregates as A
from lgcloud.analytics.status import aggregate_checks

PAPER = date(2018, 6, 15)


def test_table1_reproduced() -> None:
    table = A.table(A.dataset("h30-t1"))
    assert table.as_dict(value_column="団体数") == {
        "クラウド未導入": 670,
        "単独クラウド": 667,
        "自治体クラウド": 404,
        "計": 1741,
    }
    assert table.as_dict(value_column="割合(%)")["自治体クラウド"] == 23.2
    assert table.ref_date == PAPER
    assert table.verified is True


def test_table2_reproduced() -> None:
    table = A.table(A.dataset("h30-t2"))
    assert table.as_dict(value_column="団体数") == {
        "未検討": 30,
        "未定": 504,
        "単独クラウド": 245,
        "自治体クラウド": 558,
        "計": 1337,
    }


def test_table3_reproduced_with_open_ended_last_bucket() -> None:
    table = A.table(A.dataset("h30-t3"))
    counts = table.column("団体数")
    assert counts == [116, 116, 120, 130, 169, 129, 101, 83, 202, 1166]
    assert table.rows[0][0] == "2019年度 (H31/R1)"
    assert str(table.rows[-2][0]).endswith("以降")


def test_consistency_checks_table2_ties_table3_is_shown_not_forced() -> None:
    checks = {c.name: c for c in aggregate_checks(PAPER)}
    assert checks["表1合計 = 全市区町村数"].ties
    t2 = checks["表2合計 = 表1の自治体クラウド以外"]
    assert (t2.left, t2.right, t2.ties, t2.ok) == (1337, 1337, True, True)
    t3 = checks["表3合計 と 表2の計画団体"]
    assert (t3.left, t3.right, t3.ties, t3.ok) == (1166, 803, False, True)
    assert t3.verdict == "一致しない（想定どおり）"


def test_trend_keeps_reference_dates_apart_and_flags_unverified() -> None:
    trend = A.trend_table()
    dates = trend.column("基準日")
    assert dates == sorted(dates)
    assert "2018-04-01" in dates and "2018-06-15" in dates  # 407/660 and 404/667 never merged
    by_date = {row[0]: row for row in trend.rows}
    assert by_date["2018-04-01"][trend.columns.index("確認")] == "未確認"
    assert by_date["2018-06-15"][trend.columns.index("自治体クラウド")] == 404


def test_every_dataset_has_provenance_and_a_table() -> None:
    for dataset in A.datasets():
        assert dataset.source and isinstance(dataset.ref_date, date)
        table = A.table(dataset)
        assert table.rows and table.provenance()[0] == ("表", dataset.title)
    assert not A.dataset("h30-04-status").verified
    assert not A.dataset("targets-fy2023").verified


def test_h28_band_table_columns_sum_to_that_dates_totals() -> None:
    band = A.table(A.dataset("h28-status-by-band"))
    status = A.dataset("h28-status")
    assert sum(band.column("自治体クラウド")) == status.values["自治体クラウド"]
    assert sum(band.column("単独クラウド")) == status.values["単独クラウド"]
