"""Generated residents for the demo: Faker ``ja_JP`` names and addresses, no real person.

Every resident is entered through the same 異動 service as at the counter (転入, then 転居, 出生,
世帯分離, 死亡, 転出 … over the past years), so the demo data has real history, 除票, audit entries
and outbox events. A few names use 異体字 (邊, 髙, 﨑, 濱) to show variant-insensitive search.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker
from sqlalchemy import select
from sqlalchemy.orm import Session

from lgcloud.codes import juminhyo_check_digit, mynumber_check_digit
from lgcloud.db import Database
from lgcloud.errors import LgcloudError
from lgcloud.residents import code_pool
from lgcloud.residents.commands import (
    AddressInput,
    Birth,
    Command,
    Death,
    HouseholdSplit,
    MoveIn,
    MoveOut,
    MoveWithin,
    PersonInput,
)
from lgcloud.residents.model import HEAD, split_name
from lgcloud.residents.models import current
from lgcloud.residents.services import Actor, record_ido, today_jst

ACTOR = Actor("demo-seed", place="デモデータ生成")
VARIANTS = {"渡辺": "渡邊", "高橋": "髙橋", "山崎": "山﨑", "浜田": "濱田", "斎藤": "齋藤"}
BATCH = 50  # households per transaction


@dataclass
class _Gen:
    fake: Faker
    rng: random.Random
    today: date

    def day(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randint(0, max((end - start).days, 0)))

    def numbers(self) -> dict[str, str]:
        body = "".join(str(self.rng.randint(0, 9)) for _ in range(11))
        code = "".join(str(self.rng.randint(0, 9)) for _ in range(10))
        return {"mynumber": body + mynumber_check_digit(body), "juminhyo_code": code + juminhyo_check_digit(code)}

    def address(self) -> AddressInput:
        f = self.fake
        katagaki = (
            f"{f.building_name()}{self.rng.randint(1, 5)}0{self.rng.randint(1, 9)}" if self.rng.random() < 0.3 else None
        )
        return AddressInput(
            address=f"{f.town()}{f.chome()}{f.ban()}{f.gou()}",
            katagaki=katagaki,
            postal_code=f.zipcode().replace("-", ""),
        )

    def person(self, sei: tuple[str, str], sex: str, zokugara: str, born: date) -> PersonInput:
        first = self.fake.first_name_male_pair() if sex == "1" else self.fake.first_name_female_pair()
        name = VARIANTS.get(sei[0], sei[0]) if self.rng.random() < 0.3 else sei[0]
        return PersonInput(
            shimei=f"{name}　{first[0]}",
            shimei_kana=f"{sei[1]}　{first[1]}",
            shimei_kana_confirmed=True,
            birth_date=born.isoformat(),
            sex=sex,
            zokugara=zokugara,
            honseki=f"福井県{self.fake.city()}{self.fake.town()}",
            hittosha=f"{name}　{first[0]}" if zokugara == HEAD else None,
            confirm_duplicate=True,
            **self.numbers(),
        )

    def family(self, upto: date) -> list[PersonInput]:
        sei = self.fake.last_name_pair()
        head_sex = "1" if self.rng.random() < 0.7 else "2"
        head_born = self.day(date(1935, 1, 1), min(date(2002, 12, 31), upto - timedelta(days=365 * 18)))
        persons = [self.person(sei, head_sex, HEAD, head_born)]
        if self.rng.random() < 0.6:
            spouse_sex = "2" if head_sex == "1" else "1"
            spouse_born = head_born + timedelta(days=self.rng.randint(-1500, 1500))
            persons.append(self.person(sei, spouse_sex, "妻" if spouse_sex == "2" else "夫", spouse_born))
            for _ in range(self.rng.choice([0, 0, 1, 2, 2, 3])):
                latest = min(upto, head_born + timedelta(days=365 * 45))
                child_born = self.day(min(latest, head_born + timedelta(days=365 * 20)), latest)
                persons.append(self.person(sei, self.rng.choice("12"), "子", child_born))
        return persons


def seed_demo_residents(database: Database, lg_code: str, n: int = 3000, seed: int = 0) -> int:
    """Generate about ``n`` residents (with history) for ``lg_code``; returns how many were entered.

    Does nothing when the municipality already has residents (``lgcloud demo`` is idempotent).
    """
    with database.session(lg_code) as session:
        if session.execute(select(current.c.atena_no).where(current.c.lg_code == lg_code).limit(1)).first():
            return 0
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    gen = _Gen(fake, random.Random(seed), today_jst())
    with database.session(lg_code) as session:  # as if obtained from the CS: births take theirs from here
        codes = {gen.numbers()["juminhyo_code"] for _ in range(max(2 * code_pool.LOW_WATERMARK, n // 5))}
        code_pool.load(session, lg_code, sorted(codes), ACTOR.user)
    created = 0
    while created < n:
        with database.session(lg_code) as session:
            for _ in range(BATCH):
                if created >= n:
                    break
                created += _household(session, lg_code, gen)
    return created


def _household(session: Session, lg_code: str, gen: _Gen) -> int:
    """One family's life: 転入, then a few later 異動 in date order."""
    moved_in = gen.day(gen.today - timedelta(days=365 * 12), gen.today - timedelta(days=30))
    persons = gen.family(moved_in)
    first = _do(
        session,
        lg_code,
        MoveIn(
            ido_date=moved_in.isoformat(),
            todokede_date=moved_in,
            persons=persons,
            address=gen.address(),
            prev_address=f"{gen.fake.prefecture()}{gen.fake.city()}{gen.fake.town()}",
        ),
        gen,
    )
    if first is None:
        return 0
    nos = [r.atena_no for r in first.rows]
    setai = first.rows[0].person.setai_no
    when = moved_in
    sei = (split_name(persons[0].shimei)[0], split_name(persons[0].shimei_kana)[0])
    for event in _later_events(gen):
        when = gen.day(when + timedelta(days=1), gen.today)
        if when >= gen.today:
            break
        command = _event(event, gen, nos, setai, when, sei)
        if command is not None and _do(session, lg_code, command, gen) is not None and event in ("move_out", "death"):
            break
    return len(persons)


def _later_events(gen: _Gen) -> list[str]:
    events = gen.rng.choices(
        ["move_within", "birth", "split", "move_out", "death", "none"],
        weights=[30, 12, 8, 10, 4, 36],
        k=gen.rng.randint(0, 3),
    )
    return [e for e in events if e != "none"]


def _event(kind: str, gen: _Gen, nos: list[str], setai: str, when: date, sei: tuple[str, str]) -> Command | None:
    day, filed = when.isoformat(), when
    if kind == "move_within":
        return MoveWithin(ido_date=day, todokede_date=filed, atena_nos=nos, address=gen.address())
    if kind == "birth" and len(nos) > 1:
        child = gen.person(sei, gen.rng.choice("12"), "子", when).model_copy(update={"juminhyo_code": None})
        return Birth(ido_date=day, todokede_date=filed, to_setai_no=setai, person=child)
    if kind == "split" and len(nos) > 2:
        return HouseholdSplit(ido_date=day, todokede_date=filed, atena_nos=[nos[-1]], zokugara={nos[-1]: HEAD})
    if kind == "move_out":
        return MoveOut(
            ido_date=day, todokede_date=filed, atena_nos=nos, move_out_to=f"{gen.fake.prefecture()}{gen.fake.city()}"
        )
    if kind == "death" and len(nos) <= 2:
        return Death(ido_date=day, todokede_date=filed, atena_no=nos[-1])
    return None


def _do(session: Session, lg_code: str, command: Command, gen: _Gen):  # type: ignore[no-untyped-def]
    """Enter one 異動 in a savepoint: a generated case that breaks a rule is skipped, not fatal."""
    try:
        with session.begin_nested():
            return record_ido(session, lg_code, ACTOR, command, today=gen.today)
    except LgcloudError:
        return None
