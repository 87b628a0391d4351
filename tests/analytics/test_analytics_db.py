"""Persistence on SQLite and PostgreSQL: all-or-nothing imports, dated history, views from the DB."""

from datetime import date

import pytest
from sqlalchemy import select

from lgcloud.analytics import aggregates as A
from lgcloud.analytics import service, views
from lgcloud.analytics.importer import ImportRejected
from lgcloud.analytics.models import StatusRow
from lgcloud.analytics.synthetic import paper_snapshot
from lgcloud.db import Database
from lgcloud.errors import Conflict, LgcloudError, NotFound
from lgcloud.tenancy.models import PLATFORM_CHAIN

HEADER = "団体コード,導入状況,導入計画,目標年度,グループ名,基準日\n"


def snapshot_csv(ref_date: str = "2018-06-15", seed: int = 0) -> bytes:
    lines = [
        f"{r.lg_code},{r.status.value},{r.plan.value if r.plan else ''},{r.target_fy or ''},{r.group or ''},{ref_date}"
        for r in paper_snapshot(seed).records.values()
    ]
    return (HEADER + "\n".join(lines) + "\n").encode()


def test_import_then_views_reproduce_the_paper(database: Database) -> None:
    with database.session(PLATFORM_CHAIN) as session:
        report = service.import_status(session, snapshot_csv(), "h30.csv", actor="operator")
    assert report.inserted == 1741 and report.ref_date == date(2018, 6, 15)
    with database.session(PLATFORM_CHAIN) as session:
        ctx = service.context(session)
    assert ctx.snapshot is not None and len(ctx.snapshot.records) == 1741
    for key, dataset in (("status", "h30-t1"), ("plans", "h30-t2")):
        assert views.build(key, ctx).as_dict(value_column="団体数") == A.table(A.dataset(dataset)).as_dict(
            value_column="団体数"
        )
    assert views.build("target-years", ctx).column("団体数")[-1] == 1166
    assert sum(views.build("status-by-prefecture", ctx).column("計")) == 1741


def test_a_bad_row_imports_nothing(database: Database) -> None:
    content = snapshot_csv().replace(b"\n011002,", b"\n011003,", 1)
    with pytest.raises(ImportRejected) as caught, database.session(PLATFORM_CHAIN) as session:
        service.import_status(session, content, "h30.csv")
    assert "検査数字" in caught.value.message
    with database.session(PLATFORM_CHAIN) as session:
        assert service.count_rows(session) == {"status_rows": 0, "snapshots": 0, "costs": 0}


def test_same_date_twice_is_a_conflict_unless_replace(database: Database) -> None:
    one = (HEADER + "011002,単独クラウド,,,,2018-06-15\n").encode()
    with database.session(PLATFORM_CHAIN) as session:
        service.import_status(session, one, "a.csv")
    with pytest.raises(Conflict), database.session(PLATFORM_CHAIN) as session:
        service.import_status(session, one, "a.csv")
    changed = (HEADER + "011002,自治体クラウド,,,札幌G,2018-06-15\n012025,未導入,未定,,,2018-06-15\n").encode()
    with database.session(PLATFORM_CHAIN) as session:
        report = service.import_status(session, changed, "b.csv", replace=True)
    assert (report.inserted, report.replaced) == (1, 1)
    with database.session(PLATFORM_CHAIN) as session:
        snapshot = service.load_snapshot(session, date(2018, 6, 15))
    assert snapshot is not None and snapshot.records["011002"].group == "札幌G"


def test_reference_dates_are_kept_apart(database: Database) -> None:
    with database.session(PLATFORM_CHAIN) as session:
        service.import_status(session, (HEADER + "011002,単独クラウド,,,,2018-04-01\n").encode(), "a.csv")
        service.import_status(session, (HEADER + "012025,自治体クラウド,,,,2018-06-15\n").encode(), "b.csv")
    with database.session(PLATFORM_CHAIN) as session:
        assert service.snapshot_dates(session) == [date(2018, 4, 1), date(2018, 6, 15)]
        april = service.load_snapshot(session, date(2018, 4, 1))
        june = service.context(session, date(2018, 6, 15))
    assert april is not None and set(april.records) == {"011002"}
    assert june.snapshot is not None and set(june.snapshot.records) == {"012025"}
    assert views.build("status", june).as_dict(value_column="団体数")["未回答"] == 1740
    trend = views.build("trend", june)
    june_rows = [r for r in trend.rows if r[0] == "2018-06-15"]
    assert sorted(r[trend.columns.index("種類")] for r in june_rows) == ["公表集計値", "団体別データ"]
    assert views.chart("trend", june).series == ("クラウド未導入", "単独クラウド", "自治体クラウド", "クラウド導入計")


def test_aggregates_are_the_fallback(database: Database) -> None:
    with database.session(PLATFORM_CHAIN) as session:
        ctx = service.context(session, date(2018, 6, 15))
    assert ctx.snapshot is None
    assert views.build("status", ctx).as_dict(value_column="団体数")["自治体クラウド"] == 404
    assert views.build("checks", ctx).column("判定")[1] == "一致"
    cost = views.build("cost-per-resident", ctx)  # no costs stored: the 2018 survey's published values
    assert cost.as_dict(value_column="円/人")["2万人未満"] == 11724 and "公表値を表示" in cost.notes[0]
    assert views.chart("cost-per-resident", ctx).series == ("円/人",)
    with pytest.raises(NotFound):
        views.build("status-by-prefecture", ctx)


def test_costs_population_usage(database: Database) -> None:
    costs = "団体コード,年度,経費\n011002,2017,7000000000\n012025,2017,900000000\n".encode()
    with database.session(PLATFORM_CHAIN) as session:
        service.import_status(session, snapshot_csv(), "h30.csv")
        assert service.import_costs(session, costs, "cost.csv").inserted == 2
    with pytest.raises(Conflict), database.session(PLATFORM_CHAIN) as session:
        service.import_costs(session, costs, "cost.csv")
    with database.session(PLATFORM_CHAIN) as session:
        service.import_costs(session, costs.replace(b"900000000", b"800000000"), "cost.csv", replace=True)
        service.set_cost(session, "012033", 2017, 123_456_789)
        assert service.costs_for(session, 2017)["012025"] == 800_000_000
        ctx = service.context(session)
    table = views.build("cost-per-resident", ctx)
    assert table.rows[-1][table.columns.index("全体 団体数")] == 3
    population = b"lg_code,population\n011002,1973395\n"
    with database.session(PLATFORM_CHAIN) as session:
        service.import_population(session, population, "p.csv", label="住基2024", as_of=date(2024, 1, 1))
        assert service.population(session, "住基2024").of("011002") == 1_973_395
        assert service.population_labels(session) == ["census2020", "住基2024"]
        service.record_usage(session, "2025", "records", {"011002": 10, "012025": 5})
        service.record_usage(session, "2025", "records", {"011002": 12})
        assert service.usage_for(session, "2025", "records") == {"011002": 12, "012025": 5}


def test_own_group_members_feed_the_views(database: Database, tenants) -> None:  # type: ignore[no-untyped-def]
    from lgcloud.tenancy import services as tenancy

    with database.session(PLATFORM_CHAIN) as session:
        tenancy.set_municipality_status(session, lg_code=tenants.a, status="live", actor="operator")
    with database.session(PLATFORM_CHAIN) as session:
        ctx = service.context(session)
    table = views.build("own-group", ctx)
    assert table.column("団体コード") == [tenants.a, tenants.b]
    assert table.column("状況")[0] == "稼働中"
    assert all(table.column("人口区分"))


def test_rows_are_stored_by_municipality_code_and_date(database: Database) -> None:
    with database.session(PLATFORM_CHAIN) as session:
        service.import_status(
            session, (HEADER + "011002,単独クラウド,自治体クラウド,H33,,H30.6.15\n").encode(), "a.csv"
        )
    with database.session() as session:  # platform data: readable without a tenant context
        row = session.execute(select(StatusRow)).scalar_one()
    assert (row.municipality_code, row.ref_date, row.plan, row.target_fy) == (
        "011002",
        date(2018, 6, 15),
        "自治体クラウド",
        2021,
    )


def test_usage_measured_by_lgcloud_feeds_apportionment(database: Database, tenants) -> None:  # type: ignore[no-untyped-def]
    from lgcloud.analytics.apportion import Member, apportion

    codes = [tenants.a, tenants.b]
    with database.session(PLATFORM_CHAIN) as session:
        events = service.measure_usage(session, codes, "audit-events")
        users = service.measure_usage(session, codes, "rows:tenancy_api_tokens")
        assert session.info["lg_code"] == PLATFORM_CHAIN
        service.record_usage(session, "all", "audit-events", events)
    assert all(v > 0 for v in events.values()) and users == {tenants.a: 0, tenants.b: 0}
    with database.session(PLATFORM_CHAIN) as session:
        usage = service.usage_for(session, "all", "audit-events")
        with pytest.raises(LgcloudError):
            service.measure_usage(session, codes, "rows:analytics_costs")
    members = [Member(c, c, 1, usage[c]) for c in codes]
    assert sum(apportion(1001, members, {"usage": 1}).amounts.values()) == 1001
