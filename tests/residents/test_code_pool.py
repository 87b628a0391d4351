"""住民票コードの払出し (j870–j890): loaded in bulk, taken at random by 出生 and 国外転入, warned about when low."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from residents_desk import LG_CODE, Desk, family_persons
from sqlalchemy import select, text
from typer.testing import CliRunner

from lgcloud.codes import juminhyo_check_digit
from lgcloud.codes.checkdigits import validate_juminhyo_code
from lgcloud.config import get_settings
from lgcloud.db import Database
from lgcloud.residents import code_pool
from lgcloud.residents.commands import AddressInput, Birth, MoveIn, PersonInput
from lgcloud.residents.models import code_pool as pool_table
from lgcloud.residents.repository import SqlRegistry


def _codes(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    bodies = {"".join(rng.choice("0123456789") for _ in range(10)) for _ in range(n)}
    return sorted(body + juminhyo_check_digit(body) for body in bodies)


def _load(db: Database, codes: list[str], lg_code: str = LG_CODE) -> code_pool.LoadReport:
    with db.session(lg_code) as session:
        return code_pool.load(session, lg_code, codes, "admin-test")


def _status(db: Database, lg_code: str = LG_CODE) -> code_pool.PoolStatus:
    with db.session(lg_code) as session:
        return code_pool.status(session, lg_code)


def _baby(**extra: str) -> PersonInput:
    fields = {"shimei": "山田　二郎", "shimei_kana": "ヤマダ　ジロウ", "birth_date": "令和7年6月1日", "sex": "1",
              "zokugara": "子", "honseki": "福井県鯖江市本町1", "hittosha": "山田　太郎"}
    return PersonInput(**(fields | extra))


def test_a_birth_takes_a_code_from_the_pool_and_records_it(desk: Desk, database: Database) -> None:
    codes = _codes(20)
    assert _load(database, codes).added == 20
    setai = desk.family().rows[0].person.setai_no
    result = desk.do(Birth(to_setai_no=setai, person=_baby()))
    row = desk.person(result.rows[0].atena_no)
    assert row.person.juminhyo_code in codes
    assert result.ido.command["person"]["juminhyo_code"] == row.person.juminhyo_code  # replay gives the same
    assert _status(database) == code_pool.PoolStatus(available=19, assigned=1)
    with database.session(LG_CODE) as session:
        given = session.execute(select(pool_table.c.atena_no).where(
            pool_table.c.juminhyo_code == row.person.juminhyo_code)).scalar_one()
    assert given == row.atena_no


def test_a_code_entered_by_the_clerk_is_kept_and_the_pool_untouched(desk: Desk, database: Database) -> None:
    _load(database, _codes(5))
    setai = desk.family().rows[0].person.setai_no
    entered = "98765432103"
    assert validate_juminhyo_code(entered) is None
    result = desk.do(Birth(to_setai_no=setai, person=_baby(juminhyo_code=entered)))
    assert desk.person(result.rows[0].atena_no).person.juminhyo_code == entered
    assert _status(database).assigned == 0


def test_move_in_from_abroad_takes_codes_a_domestic_move_in_does_not(desk: Desk, database: Database) -> None:
    _load(database, _codes(10))
    persons = [p.model_copy(update={"juminhyo_code": None, "mynumber": None}) for p in family_persons()]
    address = AddressInput(address="本町二丁目2番地")
    domestic = desk.do(MoveIn(ido_date="2025-04-01", persons=persons[:1], address=address, prev_address="東京都港区1"))
    assert desk.person(domestic.rows[0].atena_no).person.juminhyo_code is None
    abroad = desk.do(MoveIn(ido_date="2025-04-01", origin="abroad", persons=persons[1:], address=address,
                            prev_address="アメリカ合衆国", to_setai_no=domestic.rows[0].person.setai_no))
    given = [desk.person(r.atena_no).person.juminhyo_code for r in abroad.rows]
    assert len(set(given)) == len(given) == 2 and all(given)
    assert _status(database).assigned == 2


def test_codes_are_taken_at_random(desk: Desk, database: Database) -> None:
    codes = _codes(200)
    _load(database, codes)
    setai = desk.family().rows[0].person.setai_no
    taken = {desk.person(desk.do(Birth(to_setai_no=setai, person=_baby(shimei=f"山田　{n}郎"))).rows[0].atena_no)
             .person.juminhyo_code for n in "三四五六七"}
    assert len(taken) == 5 and sorted(taken) != codes[:5]  # in order, 1 chance in 2.5 × 10⁹


def test_an_empty_pool_does_not_stop_a_birth(desk: Desk, database: Database) -> None:
    setai = desk.family().rows[0].person.setai_no
    result = desk.do(Birth(to_setai_no=setai, person=_baby()))
    assert desk.person(result.rows[0].atena_no).person.juminhyo_code is None
    assert _status(database).low


def test_a_large_cs_file_loads_in_one_go(database: Database) -> None:
    """More codes than one statement may bind (SQLite 32,766, PostgreSQL 65,535), loaded twice."""
    codes = _codes(70_000, seed=3)
    assert _load(database, codes).added == len(codes)
    again = _load(database, codes)
    assert (again.added, again.already) == (0, len(codes))
    assert _status(database).available == len(codes)


def test_loading_reports_bad_lines_and_skips_codes_already_there(database: Database) -> None:
    codes = _codes(3)
    first = _load(database, codes[:2])
    wrong_digit = codes[2][:-1] + str((int(codes[2][-1]) + 1) % 10)
    report = _load(database, ["", codes[0], codes[2], codes[2], wrong_digit, "1234"])
    assert (first.added, report.added, report.already) == (2, 1, 2)
    assert [line for line, _code, _reason in report.invalid] == [5, 6]
    assert _status(database) == code_pool.PoolStatus(available=3, assigned=0)


def test_each_municipality_sees_only_its_own_pool(pg_database: Database) -> None:
    _load(pg_database, _codes(4), "182079")
    with pg_database.session("182095") as session:  # row-level security, not only the WHERE clause
        assert session.execute(text("SELECT count(*) FROM residents_code_pool")).scalar_one() == 0
        assert SqlRegistry(session, "182095").take_juminhyo_code("000000001") is None


def test_the_command_line_loads_a_cs_file_and_warns_when_low(database: Database, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from lgcloud.cli import app

    monkeypatch.setenv("LGCLOUD_DATABASE_URL", database.owner_url)
    monkeypatch.setenv("LGCLOUD_APP_DATABASE_URL", database.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        codes = tmp_path / "codes.txt"
        codes.write_text("\n".join(_codes(30)) + "\n", encoding="ascii")
        runner = CliRunner()
        loaded = runner.invoke(app, ["residents", "code-pool", "load", str(codes), "--tenant", LG_CODE])
        assert loaded.exit_code == 0 and "追加 30 件" in loaded.output
        assert "未満" in loaded.output  # 30 < LOW_WATERMARK: a warning
        status = runner.invoke(app, ["residents", "code-pool", "status", "--tenant", LG_CODE])
        assert status.exit_code == 1 and "未使用 30 件" in status.output
    finally:
        get_settings.cache_clear()


def test_the_clerks_home_page_warns_while_the_pool_is_low(login_as, tenants, database: Database) -> None:  # type: ignore[no-untyped-def]
    clerk, auditor = login_as("clerk"), login_as("auditor")
    assert "住民票コードの未使用分が残り 0 件" in clerk.get(f"/m/{tenants.a}/").text
    assert "住民票コードの未使用分" not in auditor.get(f"/m/{tenants.a}/").text  # enters no 異動
    _load(database, _codes(code_pool.LOW_WATERMARK + 5), tenants.a)
    assert "住民票コードの未使用分" not in clerk.get(f"/m/{tenants.a}/").text


def test_concurrent_entries_take_different_codes_without_waiting(pg_database: Database) -> None:
    """異動 in flight at once: each skips the rows the others have locked (SKIP LOCKED) instead of waiting for
    them and then finding them taken; with every code locked, the next gets none at once."""
    _load(pg_database, _codes(2))
    with pg_database.session(LG_CODE) as first, pg_database.session(LG_CODE) as second, \
            pg_database.session(LG_CODE) as third:
        for session in (second, third):
            session.execute(text("SET LOCAL lock_timeout = '2s'"))  # waiting would fail the test, not hang it
        mine = code_pool.take(first, LG_CODE, "000000000000001")
        theirs = code_pool.take(second, LG_CODE, "000000000000002")
        assert mine and theirs and mine != theirs
        assert code_pool.take(third, LG_CODE, "000000000000003") is None
    assert _status(pg_database) == code_pool.PoolStatus(available=0, assigned=2)


def test_the_admin_adds_codes_in_the_browser_and_through_the_api(login_as, tenants, database: Database) -> None:  # type: ignore[no-untyped-def]
    admin = login_as("admin")
    codes = _codes(120, seed=7)
    bad = codes[0][:-1] + str((int(codes[0][-1]) + 1) % 10)
    body = "\n".join([*codes[1:], bad, codes[1]]).encode("ascii")
    page = admin.post(f"/m/{tenants.a}/juminhyo-codes", files={"file": ("codes.txt", body, "text/plain")},
                      data={"csrf_token": admin.csrf_token})
    assert page.status_code == 200 and "追加 119 件" in page.text and "登録済みのため省略 1 件" in page.text
    assert f"<code>{bad}</code>" in page.text and "未使用 <strong>119</strong> 件" in page.text
    api = f"/api/v1/municipalities/{tenants.a}/juminhyo-codes"
    assert admin.get(api).json() == {"available": 119, "assigned": 0, "low": False}
    again = admin.post(api, files={"file": ("codes.txt", codes[0].encode(), "text/plain")}).json()
    assert (again["added"], again["status"]["available"]) == (1, 120)
    empty = admin.post(api, files={"file": ("codes.txt", b"\n\n", "text/plain")})
    assert empty.status_code == 400 and empty.json()["code"] == "code-pool-empty-file"
    assert _status(database, tenants.a).available == 120  # the refused file changed nothing
    assert login_as("clerk").get(api).status_code == 403  # the clerk is warned, the admin loads
