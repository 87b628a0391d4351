"""A generated per-municipality data set with the paper's totals reproduces Tables 1–3."""

import csv
import io

from lgcloud.analytics import aggregates as A
from lgcloud.analytics import status as S
from lgcloud.analytics.importer import parse_status_file
from lgcloud.analytics.synthetic import paper_snapshot
from lgcloud.analytics.vocab import NO_ANSWER


def counts(table, column="団体数"):  # type: ignore[no-untyped-def]
    return table.as_dict(value_column=column)


def test_generated_data_reproduces_tables_1_to_3() -> None:
    snapshot = paper_snapshot(seed=7)
    assert len(snapshot.records) == 1741
    assert counts(S.status_table(snapshot)) == counts(A.table(A.dataset("h30-t1")))
    assert counts(S.plan_table(snapshot)) == counts(A.table(A.dataset("h30-t2")))
    t3 = A.table(A.dataset("h30-t3"))
    assert S.status_table(snapshot).as_dict(value_column="割合(%)") == counts(A.table(A.dataset("h30-t1")), "割合(%)")
    assert S.target_year_table(snapshot).column("団体数") == t3.column("団体数")
    assert [c.ties for c in S.snapshot_checks(snapshot)] == [c.ties for c in S.aggregate_checks(snapshot.ref_date)]


def test_generated_data_through_the_import_path() -> None:
    snapshot = paper_snapshot(seed=11)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["団体コード", "導入状況", "導入計画", "目標年度", "グループ名", "基準日"])
    for r in snapshot.records.values():
        writer.writerow(
            [
                r.lg_code,
                r.status.value,
                r.plan.value if r.plan else "",
                r.target_fy or "",
                r.group or "",
                snapshot.ref_date.isoformat(),
            ]
        )
    imported = parse_status_file(buffer.getvalue().encode("cp932"), "h30.csv")
    again = S.Snapshot.of(imported.ref_date, imported.records)
    assert counts(S.status_table(again)) == counts(A.table(A.dataset("h30-t1")))
    assert counts(S.plan_table(again)) == counts(A.table(A.dataset("h30-t2")))
    assert sum(S.target_year_counts(again).values()) == 1166


def test_breakdowns_add_up() -> None:
    snapshot = paper_snapshot(seed=3)
    by_pref = S.status_by_prefecture(snapshot)
    assert len(by_pref.rows) == 47
    assert sum(by_pref.column("自治体クラウド")) == 404
    assert sum(by_pref.column("計")) == 1741
    by_band = S.status_by_band(snapshot)
    assert sum(by_band.column("単独クラウド")) == 667
    assert any("Japanese nationals" in n for n in by_band.notes)
    groups = S.groups_table(snapshot)
    assert sum(groups.column("団体数")) == 404


def test_partial_snapshot_counts_missing_as_no_answer() -> None:
    snapshot = paper_snapshot(seed=1)
    partial = S.Snapshot.of(snapshot.ref_date, list(snapshot.records.values())[:100])
    table = S.status_table(partial)
    assert counts(table)[NO_ANSWER] == 1641 and counts(table)["計"] == 1741
    assert any("回答なし" in n for n in table.notes)
    assert S.snapshot_checks(partial)[0].ties
