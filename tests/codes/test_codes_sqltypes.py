"""The optional SQLAlchemy column type keeps every JpDate intact through a real database round trip."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select

from lgcloud.codes import CodesError, JpDate
from lgcloud.codes.sqltypes import JpDateType

TEXTS = [
    "令和5年3月1日",
    "令和5年2月30日",
    "令和2年頃",
    "年月日不詳",
    "令和2年3月1日から3月10日頃までの間",
    "R05.03.01",
]


def test_round_trip_through_sqlite() -> None:
    metadata = MetaData()
    t = Table("codes_test_dates", metadata, Column("id", Integer, primary_key=True), Column("d", JpDateType()))
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    values = [JpDate.parse(text) for text in TEXTS]
    with engine.begin() as conn:
        conn.execute(insert(t), [{"id": i, "d": v} for i, v in enumerate(values)])
        conn.execute(insert(t), [{"id": 100, "d": None}, {"id": 101, "d": "平成31年4月30日"}])
        rows = dict(conn.execute(select(t.c.id, t.c.d)).all())
        ordered = [d for (d,) in conn.execute(select(t.c.d).where(t.c.d.is_not(None)).order_by(t.c.d)).all()]
    assert [rows[i] for i in range(len(values))] == values
    assert rows[100] is None and rows[101] == JpDate.parse("平成31年4月30日")
    assert [d.raw for d in ordered] == [d.raw for d in sorted([*values, rows[101]], key=JpDate.sort_key)]


def test_bad_text_is_rejected_before_the_database() -> None:
    metadata = MetaData()
    t = Table("codes_test_bad", metadata, Column("id", Integer, primary_key=True), Column("d", JpDateType()))
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn, pytest.raises(Exception) as info:
        conn.execute(insert(t), [{"id": 1, "d": "令和0年"}])
    assert isinstance(info.value, CodesError) or isinstance(info.value.__cause__, CodesError)
