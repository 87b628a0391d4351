"""DV等支援措置 and 抑止 (§2.10) applied to the 住民記録 screens and API, through ``lgcloud.protection``.

- 照会: a 支援対象者, or a person with an エラー-level 抑止 for 照会, is shown without address items unless the
  支援措置責任者 released the request (``release_id``, single use, checked by the protection gate).
  A search by address never returns such a person (the hit itself would tell where they live).
- 異動入力: an エラー-level 抑止 for 異動入力 blocks the 異動 (アラート-level ones let it through).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from lgcloud.residents.errors import ResidentRuleError
from lgcloud.residents.model import Person, Row

HIDDEN = "（支援措置等により表示しません）"
ADDRESS_ITEMS = ("address", "address_code", "katagaki", "postal_code", "prev_address", "prev_postal_code",
                 "move_out_to", "move_out_to_postal_code", "move_out_confirmed_to")  # fmt: skip


class IdoSuppressed(ResidentRuleError):
    status = 423
    code = "ido-suppressed"


def states(session: Session, lg_code: str, rows: Sequence[Row]) -> dict[str, Any]:
    """宛名番号 → ProtectionState for the persons on a page (four queries, whatever the page size)."""
    if not rows:
        return {}
    from lgcloud.protection.services import protection_states

    homes = {r.atena_no: r.person.setai_no for r in rows}
    return protection_states(session, lg_code, list(homes), households=homes)


def hides_address(state: Any) -> bool:
    """支援対象者, anyone sharing their 世帯 (whose address is the same), or an エラー-level 抑止 for 照会."""
    from lgcloud.protection.domain import Level, Process

    return bool(
        state is not None
        and (state.support_target or state.household_target or state.levels.get(Process.INQUIRY) is Level.ERROR)
    )


def conceal(person: Person) -> Person:
    values = {name: None for name in ADDRESS_ITEMS if getattr(person, name)}
    if person.address:
        values["address"] = HIDDEN
    return person.replace(**values)


def conceal_rows(rows: Sequence[Row], hidden: set[str]) -> list[Row]:
    return [Row(conceal(r.person), r.rireki_no, r.ido_id, r.valid_from) if r.atena_no in hidden else r for r in rows]


def released(session: Session, lg_code: str, actor: str, atena_no: str, release_id: int | None) -> bool:
    """Whether a reviewed release lets this person's address be shown now (the gate audits its use)."""
    if release_id is None:
        return False
    from lgcloud.protection.domain import Process
    from lgcloud.protection.services import Actor, check_disclosure

    return check_disclosure(session, lg_code, [atena_no], Process.INQUIRY, release_id, actor=Actor(actor)).allowed


def check_ido_allowed(session: Session, lg_code: str, rows: Sequence[Row]) -> None:
    from lgcloud.protection.domain import Level, Process

    for atena_no, state in states(session, lg_code, rows).items():
        if state.levels.get(Process.IDO) is Level.ERROR:
            raise IdoSuppressed(
                f"宛名番号 {atena_no} には抑止（異動入力・エラー）が設定されているため、異動を入力できません",
                atena_no=atena_no,
            )
