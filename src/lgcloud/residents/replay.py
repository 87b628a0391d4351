"""Rebuild a registry from its 異動 records alone, in memory.

Each recorded command is resolved (it names the numbers that were allocated), so applying the records
in order through the same :func:`~lgcloud.residents.handlers.plan` must give the same history, row for
row. The property test compares the two; an auditor can do the same with an export.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from lgcloud.residents.commands import parse_command
from lgcloud.residents.handlers import plan
from lgcloud.residents.keys import name_key
from lgcloud.residents.model import Ido, Row


class ReplayError(RuntimeError):
    """A recorded command needed a number that it did not record."""


@dataclass
class MemoryRegistry:
    """``RegistryView`` over dicts. Its allocator refuses: replayed commands carry their numbers."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    idos: dict[int, Ido] = field(default_factory=dict)

    def current(self, atena_no: str) -> Row | None:
        rows = self.rows.get(atena_no)
        return rows[-1] if rows else None

    def previous(self, row: Row) -> Row | None:
        rows = self.rows.get(row.atena_no, [])
        return rows[row.rireki_no - 2] if row.rireki_no >= 2 else None

    def members(self, setai_no: str) -> list[Row]:
        found = [r[-1] for r in self.rows.values() if r[-1].person.setai_no == setai_no and r[-1].person.is_resident]
        return sorted(found, key=lambda r: (r.person.household_order, r.atena_no))

    def household_exists(self, setai_no: str) -> bool:
        return any(row.person.setai_no == setai_no for rows in self.rows.values() for row in rows)

    def find_by_numbers(self, juminhyo_code: str | None, mynumber: str | None, card_no: str | None) -> list[Row]:
        def hit(row: Row) -> bool:
            p = row.person
            return bool(
                (juminhyo_code and p.juminhyo_code == juminhyo_code)
                or (mynumber and p.mynumber == mynumber)
                or (card_no and p.residence_card_no == card_no)
            )

        return [rows[-1] for a, rows in sorted(self.rows.items()) if any(hit(r) for r in rows)]

    def find_by_three_info(self, shimei: str, sex: str, birth: date | None) -> list[Row]:
        key = name_key(shimei)

        def hit(row: Row) -> bool:
            p = row.person
            return name_key(p.shimei) == key and p.sex.value == sex and p.birth_date.value == birth

        if birth is None:
            return []
        return [rows[-1] for a, rows in sorted(self.rows.items()) if any(hit(r) for r in rows)]

    def ido(self, ido_id: int) -> Ido | None:
        return self.idos.get(ido_id)

    def rows_of_ido(self, ido_id: int) -> list[Row]:
        return sorted((r for rows in self.rows.values() for r in rows if r.ido_id == ido_id), key=lambda r: r.atena_no)

    def next_atena_no(self) -> str:
        raise ReplayError("replayed command without a recorded 宛名番号")

    def next_setai_no(self) -> str:
        raise ReplayError("replayed command without a recorded 世帯番号")

    def reserve_numbers(self, count: int) -> None:
        """Replayed commands carry their numbers: nothing to take."""

    def take_juminhyo_code(self, atena_no: str) -> str | None:
        """A code taken from the pool is in the recorded command; one not taken stays not taken."""
        return None

    def apply(self, record: Ido) -> list[Row]:
        planned = plan(parse_command(record.command), self, self, record.shori_date)
        self.idos[record.ido_id] = record
        written = []
        for change in planned.changes:
            rows = self.rows.setdefault(change.person.atena_no, [])
            row = Row(change.person, len(rows) + 1, record.ido_id, change.valid_from)
            rows.append(row)
            written.append(row)
        return written


def replay(records: Iterable[Ido]) -> MemoryRegistry:
    """A registry rebuilt from 異動 records in ``ido_id`` order."""
    registry = MemoryRegistry()
    for record in sorted(records, key=lambda r: r.ido_id):
        registry.apply(record)
    return registry
