"""Random but valid-looking 異動 sequences for the linkage property tests (refused ones are fine too)."""

from __future__ import annotations

import random
from typing import Any

from linkage_helpers import IVS_MEI, IVS_SEI, Clerk, person

from lgcloud.errors import LgcloudError
from lgcloud.residents import queries
from lgcloud.residents.commands import AddressInput, Amend, Birth, Cancel, Death, MoveIn, MoveOut, MoveWithin

SEI = ["山田", "鈴木", IVS_SEI, "髙橋", "渡邉", "齋藤"]
MEI = ["太郎", "花子", IVS_MEI, "一", "𠮷子"]


def _households(clerk: Clerk) -> dict[str, list[str]]:
    with clerk.db.session(clerk.lg_code) as session:
        rows = queries.all_current(session, clerk.lg_code)
    found: dict[str, list[str]] = {}
    for row in rows:
        if row.person.is_resident:
            found.setdefault(row.person.setai_no, []).append(row.atena_no)
    return found


def random_command(rng: random.Random, clerk: Clerk, last_ido: int | None) -> Any:
    households = _households(clerk)
    op = rng.choice(["move_in", "move_in", "within", "out", "death", "amend", "birth", "cancel"])
    if op == "move_in" or not households:
        n = rng.randint(1, 3)
        persons = [
            person(f"{rng.choice(SEI)}　{rng.choice(MEI)}", "ヤマダ　タロウ", f"平成{rng.randint(1, 30)}年4月1日",
                   "世帯主" if i == 0 else "子", confirm_duplicate=True)
            for i in range(n)
        ]  # fmt: skip
        return MoveIn(
            ido_date="2025-04-01", persons=persons, address=AddressInput(address=f"本町{rng.randint(1, 9)}番地")
        )
    setai, members = rng.choice(sorted(households.items()))
    target = rng.choice(members)
    if op == "within":
        return MoveWithin(atena_nos=members, address=AddressInput(address=f"新町{rng.randint(1, 99)}番地"))
    if op == "out":
        return MoveOut(atena_nos=members, move_out_to="東京都港区芝公園1丁目")
    if op == "death":
        return Death(atena_no=target)
    if op == "amend":
        return Amend(atena_no=target, reason="職権修正", changes={"shimei": f"{rng.choice(SEI)}　{rng.choice(MEI)}"})
    if op == "birth":
        child = person(f"{rng.choice(SEI)}　{rng.choice(MEI)}", "ヤマダ　ハナコ", "2025-05-01", "子",
                       confirm_duplicate=True)  # fmt: skip
        return Birth(person=child, to_setai_no=setai)
    return Cancel(target_ido_id=last_ido or 1)


def run_random(rng: random.Random, clerk: Clerk, steps: int) -> int:
    """Enter ``steps`` random 異動 (refused ones included). Returns how many were recorded."""
    recorded, last = 0, None
    for _ in range(steps):
        try:
            result = clerk.do(random_command(rng, clerk, last))
        except LgcloudError:
            continue
        recorded, last = recorded + 1, result.ido.ido_id
    return recorded
