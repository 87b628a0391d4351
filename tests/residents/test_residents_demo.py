"""Demo data: generated through the 異動 service, with history and 除票, idempotent."""

from __future__ import annotations

from lgcloud.db import Database
from lgcloud.residents import queries
from lgcloud.residents.demo import seed_demo_residents
from lgcloud.residents.replay import replay


def test_seed_demo_residents(database: Database) -> None:
    created = seed_demo_residents(database, "182079", 60, seed=7)
    assert created >= 60
    with database.session("182079") as s:
        rows = queries.all_current(s, "182079")
        records = queries.all_ido(s, "182079")
        stored = {r.atena_no: queries.history_rows(s, "182079", r.atena_no) for r in rows}
    assert len(rows) >= 60
    assert len(records) > len({r.person.setai_no for r in rows}) // 2
    assert replay(records).rows == stored
    assert seed_demo_residents(database, "182079", 60, seed=7) == 0
