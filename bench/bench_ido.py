"""The 異動 write path alone on PostgreSQL: 転入 (one new person and 世帯 each) through ``record_ido``,
one transaction per 異動, one process, unpaced; SQL statements per 異動 counted with a cursor listener.

Anchor, same run and same connection role (RLS in force): a plain loop of single-row INSERT
transactions (a plain logged table) writing as many rows per 異動 as the 異動 path writes (history,
current, household, 異動, outbox, audit) — what the rows and commits cost without planning or reading.

    .venv/bin/python bench/bench_ido.py               # 300 異動
    .venv/bin/python bench/bench_ido.py --n 1000 --profile   # + pyinstrument of the loop
    .venv/bin/python bench/bench_ido.py --demo 500           # + `lgcloud demo` seeding of 500 residents
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).parent))
from result import Result

ADMIN_DSN = os.environ.get("LGCLOUD_TEST_PG", "postgresql://postgres@localhost:5432/postgres")
LG = "182079"
SEI = ["山田", "鈴木", "髙橋", "渡邉", "齋藤", "佐藤", "田中"]
MEI = ["太郎", "花子", "一", "𠮷子", "次郎"]
ROWS_PER_IDO = 6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--demo", type=int, default=0, help="also time seed_demo_residents for this many residents")
    args = parser.parse_args()

    from sqlalchemy import event, text

    from lgcloud.db import Database
    from lgcloud.db.migrate import upgrade
    from lgcloud.residents.commands import AddressInput, MoveIn, PersonInput
    from lgcloud.residents.services import Actor, record_ido
    from lgcloud.tenancy import services

    name = f"lgcloud_bench_ido_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        owner = f"postgresql+psycopg://postgres@localhost:5432/{name}"
        app = f"postgresql+psycopg://lgcloud_app@localhost:5432/{name}"
        upgrade(owner)
        database = Database(app, owner)
        with database.session("000000") as session:
            services.create_group(session, code="g", name="ベンチ")
        with database.session(LG) as session:
            services.add_municipality(session, group_code="g", lg_code=LG)
        rng = random.Random(1)
        actor = Actor("bench")

        def command(i: int) -> MoveIn:
            person = PersonInput(
                shimei=f"{rng.choice(SEI)}　{rng.choice(MEI)}{i}",
                shimei_kana="フカ　シケン",
                birth_date=f"{rng.randint(1940, 2020)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                sex=rng.choice("12"),
                zokugara="世帯主",
                honseki="福井県",
                confirm_duplicate=True,
            )
            return MoveIn(ido_date="2025-04-01", persons=[person], address=AddressInput(address=f"本町{i}番地"))

        count = [0]
        event.listen(database.engine, "before_cursor_execute", lambda *a: count.__setitem__(0, count[0] + 1))

        def run(n: int, offset: int) -> float:
            commands = [command(offset + i) for i in range(n)]
            t0 = time.perf_counter()
            for c in commands:
                with database.session(LG) as session:
                    record_ido(session, LG, actor, c, today=date(2025, 6, 30))
            return time.perf_counter() - t0

        run(20, 0)  # warm up (imports, moji index, connection)
        count[0] = 0
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        took = run(args.n, 1000)
        if args.profile:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        statements = count[0] / args.n

        with psycopg.connect(owner.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("CREATE TABLE bench_anchor (k int primary key, v text)")
            conn.execute("GRANT SELECT, INSERT ON bench_anchor TO lgcloud_app")
        t0 = time.perf_counter()
        plain = text("INSERT INTO bench_anchor VALUES (:k, :v)")
        with database.engine.connect() as conn:
            for i in range(args.n):
                with conn.begin():
                    for j in range(ROWS_PER_IDO):
                        conn.execute(plain, {"k": i * 10 + j, "v": "x" * 200})
        anchor_took = time.perf_counter() - t0
        demo = None
        if args.demo:  # mixed 異動 (転入, 出生, 転居, 転出 …) as `lgcloud demo` enters them, in a second tenant
            from lgcloud.residents.demo import seed_demo_residents

            with database.session("182095") as session:
                services.add_municipality(session, group_code="g", lg_code="182095")
            count[0] = 0
            t0 = time.perf_counter()
            entered = seed_demo_residents(database, "182095", args.demo, seed=1)
            demo = (entered, time.perf_counter() - t0, count[0])
        database.dispose()
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    print(f"statements per 異動: {statements:.1f}; load average: {os.getloadavg()}")
    if demo:
        print(f"seed_demo_residents: {demo[0]} residents in {demo[1]:.1f} s ({demo[0] / demo[1]:.0f}/s), "
              f"{demo[2]} statements")  # fmt: skip
    print(Result("異動 write path (転入)", args.n / took, args.n / anchor_took, "異動/s", 0.25).report())


if __name__ == "__main__":
    main()
