"""The registry over SQL: reads for planning (``RegistryView``), numbering (``Allocator``), appends, locks.

Every statement filters on ``lg_code`` explicitly (Citus routing; RLS is the second lock).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    String,
    and_,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lgcloud.codes.checkdigits import atena_check_digit, is_assignable_atena_body
from lgcloud.db.base import utcnow
from lgcloud.residents import code_pool, keys
from lgcloud.residents.handlers import Change
from lgcloud.residents.model import (
    FLEX_DATE_FIELDS,
    PERSON_FIELDS,
    FlexDate,
    Ido,
    IdoClass,
    Person,
    ResidentKind,
    Row,
    Sex,
    Status,
    split_name,
)
from lgcloud.residents.models import counters, current, history, households, ido, outbox
from lgcloud.tenancy.models import Municipality

#: Digits of a 宛名番号/世帯番号 body; the check digit makes 15.
NUMBER_BODY_WIDTH = 14
_ENUMS: dict[str, Any] = {"kind": ResidentKind, "status": Status, "sex": Sex}


# --- mapping --------------------------------------------------------------------------------------


def person_values(person: Person) -> dict[str, Any]:
    """A snapshot as history columns (FlexDate → date + *_text), without the key columns."""
    values: dict[str, Any] = {}
    for name in PERSON_FIELDS:
        value = getattr(person, name)
        if name in FLEX_DATE_FIELDS:
            values[name] = value.value if value else None
            values[f"{name}_text"] = value.text if value else None
        elif name in _ENUMS:
            values[name] = value.value
        else:
            values[name] = value
    return values


def search_keys(person: Person) -> dict[str, str | None]:
    _, mei_kana = split_name(person.shimei_kana)
    aliases = " ".join(x for x in (person.kyushi, person.tsusho, person.alpha_name) if x)
    alias_kana = " ".join(x for x in (person.kyushi_kana, person.tsusho_kana) if x)
    return {
        "kana_key": keys.kana_key(person.shimei_kana),
        "kana_mei_key": keys.kana_key(mei_kana),
        "name_key": keys.name_key(person.shimei),
        "name_mei_key": keys.name_key(person.mei),
        "alias_kana_key": keys.kana_key(alias_kana),
        "alias_key": keys.name_key(aliases),
        "address_key": keys.address_key(person.address),
    }


def person_from(mapping: Mapping[str, Any]) -> Person:
    values: dict[str, Any] = {}
    for name in PERSON_FIELDS:
        if name in FLEX_DATE_FIELDS:
            value, text_ = mapping[name], mapping[f"{name}_text"]
            optional = name in ("removed_on", "became_foreign_resident_on")
            values[name] = None if optional and value is None and text_ is None else FlexDate(value, text_)
        elif name in _ENUMS:
            values[name] = _ENUMS[name](mapping[name])
        else:
            values[name] = mapping[name]
    return Person(**values)


def row_from(mapping: Mapping[str, Any]) -> Row:
    return Row(person_from(mapping), mapping["rireki_no"], mapping["ido_id"], mapping["valid_from"])


def ido_from(m: Mapping[str, Any]) -> Ido:
    return Ido(
        ido_id=m["ido_id"],
        kind=m["kind"],
        reason=m["reason"],
        reason_class=IdoClass(m["reason_class"]),
        ido_date=FlexDate(m["ido_date"], m["ido_date_text"]),
        shori_date=m["shori_date"],
        todokede_date=m["todokede_date"],
        notice_date=m["notice_date"],
        actor=m["actor"],
        place=m["place"],
        note=m["note"],
        subjects=tuple(m["subjects"]),
        command=m["command"],
        cancels_ido_id=m["cancels_ido_id"],
    )


#: Constant statements, parameters given at execution: compiled once per process, not per 異動.
_INSERT_HISTORY = insert(history)
_INSERT_IDO = insert(ido)
_INSERT_OUTBOX = insert(outbox)


#: PostgreSQL: the history row arrives as one JSON parameter and becomes a row of the table's own type, so
#: the statement stays short (psycopg caches the conversion of statements under 50 parameters and 4 kB;
#: with a bind per column it re-parsed ~110 of them for every 異動). The history INSERT is a
#: data-modifying CTE of the current pointer's INSERT / UPDATE, whose foreign key to the new row is
#: checked at the end of the statement.
_NEW_HISTORY = """WITH new_history AS (
    INSERT INTO residents_history SELECT * FROM json_populate_record(NULL::residents_history, CAST(:row AS json))
    RETURNING lg_code, atena_no, rireki_no, setai_no, status)
"""
_APPEND_NEW = text(
    _NEW_HISTORY + "INSERT INTO residents_current (lg_code, atena_no, rireki_no, setai_no, status) "
    "SELECT lg_code, atena_no, rireki_no, setai_no, status FROM new_history"
)
_APPEND_NEXT = text(
    _NEW_HISTORY + "UPDATE residents_current AS c SET rireki_no = n.rireki_no, setai_no = n.setai_no, "
    "status = n.status FROM new_history AS n WHERE c.lg_code = n.lg_code AND c.atena_no = n.atena_no"
)


def _json_value(value: Any) -> str:
    if isinstance(value, date):  # date and datetime (timezone-aware): ISO 8601, as PostgreSQL reads them
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in a history row")


def _counter_step(counter: str, *, lg_bind: str, label: str) -> Any:
    """The tenant's ``counter`` + 1 as a data-modifying CTE returning the new value as ``label`` (the
    counter row stays locked until commit: numbers are gap-free and commit-ordered)."""
    return (
        update(counters)
        .where(counters.c.lg_code == bindparam(lg_bind), counters.c.name == counter)
        .values(value=counters.c.value + 1)
        .returning(counters.c.value.label(label))
        .cte(f"{counter}_no")
    )


def _insert_ido_statements() -> tuple[Any, Any]:
    """PostgreSQL: the 異動 record numbered from the tenant's ``ido`` counter in one statement (the counter
    UPDATE a data-modifying CTE; every value a bind ``i_<column>``), without and with one new 世帯
    (bind ``setai_no``), the two cases of nearly every 異動."""
    number = _counter_step("ido", lg_bind="i_lg_code", label="ido_id")
    columns = [c.name for c in ido.c if c.name != "ido_id"]
    source = select(number.c.ido_id, *(bindparam(f"i_{name}", type_=ido.c[name].type) for name in columns))
    plain = insert(ido).from_select(["ido_id", *columns], source).returning(ido.c.ido_id)
    created = select(bindparam("i_lg_code", type_=String()), bindparam("setai_no", type_=String()), number.c.ido_id)
    household = postgresql.insert(households).from_select(["lg_code", "setai_no", "created_ido_id"], created)
    return plain, plain.add_cte(household.on_conflict_do_nothing().cte("new_household"))


_INSERT_IDO_PG = _insert_ido_statements()
_EVENT_COLUMNS = ("event_id", "type", "subject", "occurred_at", "payload")


def _insert_one_event_statement() -> Any:
    """PostgreSQL: one outbox event numbered from the tenant's ``outbox`` counter in one statement
    (binds ``lg`` and ``e_<column>``)."""
    number = _counter_step("outbox", lg_bind="lg", label="seq")
    values = (bindparam(f"e_{name}", type_=outbox.c[name].type) for name in _EVENT_COLUMNS)
    source = select(bindparam("lg", type_=String()), number.c.seq, *values)
    return insert(outbox).from_select(["lg_code", "seq", *_EVENT_COLUMNS], source).returning(outbox.c.seq)


_INSERT_ONE_EVENT_PG = _insert_one_event_statement()
_MUNICIPALITIES = Municipality.__table__


def current_rows_statement(*where: Any) -> Any:
    """History rows that the current pointers point at, for one tenant (bind ``lg``)."""
    return (
        select(history)
        .join(
            current,
            and_(
                current.c.lg_code == history.c.lg_code,
                current.c.atena_no == history.c.atena_no,
                current.c.rireki_no == history.c.rireki_no,
            ),
        )
        .where(current.c.lg_code == bindparam("lg"), *where)
        .order_by(history.c.household_order, history.c.atena_no)
    )


_CURRENT_OF = current_rows_statement(current.c.atena_no == bindparam("atena_no"))
_MEMBERS_OF = current_rows_statement(
    current.c.setai_no == bindparam("setai_no"), current.c.status == bindparam("status")
)
_THREE_INFO = current_rows_statement(
    current.c.atena_no.in_(
        select(history.c.atena_no).where(
            history.c.lg_code == bindparam("lg"),
            history.c.name_key == bindparam("name_key"),
            history.c.sex == bindparam("sex"),
            history.c.birth_date == bindparam("birth_date"),
        )
    )
)
#: Whether anyone has a history row with these 3情報 (one narrow column, unlike the rows themselves).
_THREE_INFO_ANY = select(history.c.atena_no).where(
    history.c.lg_code == bindparam("lg"),
    history.c.name_key == bindparam("name_key"),
    history.c.sex == bindparam("sex"),
    history.c.birth_date == bindparam("birth_date"),
).limit(1)
_BUMP = (
    update(counters)
    .where(counters.c.lg_code == bindparam("lg"), counters.c.name == bindparam("counter"))
    .values(value=counters.c.value + bindparam("by", type_=BigInteger()))
)
_BUMP_RETURNING = _BUMP.returning(counters.c.value)
#: The counter and, in the same round trip, the tenant's remainder-1 policy (PostgreSQL).
_BUMP_WITH_POLICY = _BUMP.returning(
    counters.c.value,
    select(_MUNICIPALITIES.c.atena_remainder_one)
    .where(_MUNICIPALITIES.c.lg_code == bindparam("lg"))
    .scalar_subquery(),
)


# --- the registry ---------------------------------------------------------------------------------


class SqlRegistry:
    """``RegistryView`` + ``Allocator`` + writes, for one tenant inside one transaction."""

    def __init__(self, session: Session, lg_code: str) -> None:
        self.session = session
        self.lg_code = lg_code
        self.is_postgresql = session.get_bind().dialect.name == "postgresql"
        self._policy: str | None = None
        # Current rows read in this transaction *after* ``lock`` (so they cannot change before commit):
        # 宛名番号 → Row, or None for "no such person". Cleared by ``lock``, updated by ``append``.
        self._known: dict[str, Row | None] = {}
        self._new_households: set[str] = set()  # 世帯番号 taken from the counter in this transaction
        self._reserved: list[int] = []  # counter values taken by reserve_numbers, not yet used

    # reads ----------------------------------------------------------------------------------------

    def _current_rows(self, *where: Any) -> list[Row]:
        return self._rows(current_rows_statement(*where))

    def _remember(self, rows: list[Row]) -> list[Row]:
        for row in rows:
            self._known[row.atena_no] = row
        return rows

    def _rows(self, statement: Any, **params: Any) -> list[Row]:
        return [row_from(m) for m in self.session.execute(statement, {"lg": self.lg_code, **params}).mappings()]

    def current(self, atena_no: str) -> Row | None:
        if atena_no in self._known:
            return self._known[atena_no]
        rows = self._rows(_CURRENT_OF, atena_no=atena_no)
        self._known[atena_no] = rows[0] if rows else None
        return self._known[atena_no]

    def currents(self, atena_nos: Iterable[str]) -> list[Row]:
        wanted = list(atena_nos)
        rows = self._remember(self._current_rows(current.c.atena_no.in_(wanted)))
        found = {r.atena_no for r in rows}
        for atena_no in wanted:
            if atena_no not in found:
                self._known[atena_no] = None
        return rows

    def previous(self, row: Row) -> Row | None:
        return self.history_row(row.atena_no, row.rireki_no - 1)

    def history_row(self, atena_no: str, rireki_no: int) -> Row | None:
        m = (
            self.session.execute(
                select(history).where(
                    history.c.lg_code == self.lg_code,
                    history.c.atena_no == atena_no,
                    history.c.rireki_no == rireki_no,
                )
            )
            .mappings()
            .first()
        )
        return row_from(m) if m else None

    def members(self, setai_no: str) -> list[Row]:
        if setai_no in self._new_households:
            return []
        return self._remember(self._rows(_MEMBERS_OF, setai_no=setai_no, status=Status.RESIDENT.value))

    def household_exists(self, setai_no: str) -> bool:
        stmt = select(households.c.setai_no).where(
            households.c.lg_code == self.lg_code, households.c.setai_no == setai_no
        )
        return self.session.execute(stmt).first() is not None

    def _currents_in_history(self, *conditions: Any) -> list[Row]:
        """Current rows of the persons with a history row matching any condition (one statement)."""
        found = select(history.c.atena_no).where(history.c.lg_code == self.lg_code, or_(*conditions))
        return self._remember(self._current_rows(current.c.atena_no.in_(found)))

    def find_by_numbers(self, juminhyo_code: str | None, mynumber: str | None, card_no: str | None) -> list[Row]:
        conditions = [
            col == value
            for col, value in (
                (history.c.juminhyo_code, juminhyo_code),
                (history.c.mynumber, mynumber),
                (history.c.residence_card_no, card_no),
            )
            if value
        ]
        if not conditions:
            return []
        return self._currents_in_history(*conditions)

    def find_by_three_info(self, shimei: str, sex: str, birth: date | None) -> list[Row]:
        key = keys.name_key(shimei)
        if key is None or birth is None:
            return []
        params = {"lg": self.lg_code, "name_key": key, "sex": sex, "birth_date": birth}
        if self.session.execute(_THREE_INFO_ANY, params).first() is None:  # nearly always: no full rows to read
            return []
        return self._remember(self._rows(_THREE_INFO, name_key=key, sex=sex, birth_date=birth))

    def ido(self, ido_id: int) -> Ido | None:
        stmt = select(ido).where(ido.c.lg_code == self.lg_code, ido.c.ido_id == ido_id)
        m = self.session.execute(stmt).mappings().first()
        return ido_from(m) if m else None

    def rows_of_ido(self, ido_id: int) -> list[Row]:
        stmt = (
            select(history)
            .where(history.c.lg_code == self.lg_code, history.c.ido_id == ido_id)
            .order_by(history.c.atena_no)
        )
        return [row_from(m) for m in self.session.execute(stmt).mappings()]

    # numbering ------------------------------------------------------------------------------------

    def _bump(self, name: str, by: int) -> Any:
        return (
            update(counters)
            .where(counters.c.lg_code == self.lg_code, counters.c.name == name)
            .values(value=counters.c.value + by)
        )

    def next_value(self, name: str, count: int = 1) -> int:
        """Per-tenant counter + ``count`` in this transaction (the row stays locked until commit).

        Returns the last value taken: ``count`` values end at it, none skipped."""
        params = {"lg": self.lg_code, "counter": name, "by": count}
        value = self.session.execute(_BUMP_RETURNING, params).scalar()
        if value is None:
            dialect_insert = postgresql.insert if self.is_postgresql else sqlite.insert
            self.session.execute(
                dialect_insert(counters).values(lg_code=self.lg_code, name=name, value=0).on_conflict_do_nothing()
            )
            value = self.session.execute(_BUMP_RETURNING, params).scalar_one()
        return int(value)

    def remainder_one_policy(self) -> str:
        if self._policy is None:
            row = self.session.execute(
                text("SELECT atena_remainder_one FROM tenancy_municipalities WHERE lg_code = :c"),
                {"c": self.lg_code},
            ).first()
            self._policy = str(row[0]) if row else "skip"
        return self._policy

    def reserve_numbers(self, count: int) -> None:
        """Take the next ``count`` 宛名番号/世帯番号 values in one round trip; ``next_*_no`` use them first."""
        if count > 1:
            last = self._take_numbers(count)
            self._reserved.extend(range(last - count + 1, last + 1))

    def _take_numbers(self, count: int) -> int:
        """The counter + ``count``; on PostgreSQL the tenant's remainder-1 policy comes in the same round
        trip the first time (read in this transaction, as before, never cached across them)."""
        if self._policy is None and self.is_postgresql:
            params = {"lg": self.lg_code, "counter": "number", "by": count}
            row = self.session.execute(_BUMP_WITH_POLICY, params).first()
            if row is not None:
                self._policy = str(row[1]) if row[1] is not None else "skip"
                return int(row[0])
        return self.next_value("number", count)

    def _next_number_value(self) -> int:
        return self._reserved.pop(0) if self._reserved else self._take_numbers(1)

    def _next_number(self) -> str:
        while True:
            value = self._next_number_value()
            policy = self.remainder_one_policy()
            body = str(value).zfill(NUMBER_BODY_WIDTH)
            if is_assignable_atena_body(body, policy):
                return body + atena_check_digit(body, policy)

    # 宛名番号 and 世帯番号 share one sequence, so no 世帯番号 ever equals a 宛名番号 (less confusion at the counter).

    def next_atena_no(self) -> str:
        atena_no = self._next_number()
        self._known[atena_no] = None  # a number just taken from the counter has no record yet
        return atena_no

    def next_setai_no(self) -> str:
        setai_no = self._next_number()
        self._new_households.add(setai_no)  # nobody lives in a 世帯 just numbered
        return setai_no

    def take_juminhyo_code(self, atena_no: str) -> str | None:
        return code_pool.take(self.session, self.lg_code, atena_no)

    # locks ----------------------------------------------------------------------------------------

    def lock(self, atena_nos: Iterable[str], setai_nos: Iterable[str]) -> None:
        """Exclusive lock on the persons (and 世帯) a 異動 touches, held until commit.

        PostgreSQL: SELECT … FOR UPDATE on their current pointers and 世帯 rows, in key order.
        SQLite: a write to the tenant's lock counter takes the database write lock at once.
        """
        self._known.clear()  # anything read before the lock may have changed since
        if not self.is_postgresql:
            self.next_value("lock")
            return
        atena, setai = sorted(set(atena_nos)), sorted(set(setai_nos))
        if setai:
            self.session.execute(
                select(households.c.setai_no)
                .where(households.c.lg_code == self.lg_code, households.c.setai_no.in_(setai))
                .order_by(households.c.setai_no)
                .with_for_update()
            )
        if atena or setai:
            self.session.execute(
                select(current.c.atena_no)
                .where(
                    current.c.lg_code == self.lg_code,
                    or_(current.c.atena_no.in_(atena), current.c.setai_no.in_(setai)),
                )
                .order_by(current.c.atena_no)
                .with_for_update()
            )

    # writes ---------------------------------------------------------------------------------------

    def insert_ido(self, record: Ido, new_setai_nos: Iterable[str] = ()) -> int:
        """Take the 異動番号 from the tenant's counter and write the 異動 record (``record.ido_id`` is
        ignored) and the 世帯番号 it creates (unless they exist). Returns the 異動番号.

        On PostgreSQL one statement: the counter UPDATE and the 世帯 inserts are data-modifying CTEs
        of the record's INSERT (the counter row stays locked until commit, as with ``next_value``)."""
        setai_nos = list(new_setai_nos)
        if self.is_postgresql:
            ido_id = self._insert_ido_pg(record, setai_nos)
            if ido_id is not None:
                return ido_id
        ido_id = self.next_value("ido")  # SQLite, or the tenant's first 異動 (no counter row yet)
        self.session.execute(_INSERT_IDO, self._ido_values(record, ido_id))
        for setai_no in setai_nos:
            self.insert_household(setai_no, ido_id)
        return ido_id

    def _insert_ido_pg(self, record: Ido, setai_nos: list[str]) -> int | None:
        values = self._ido_values(record, 0)
        del values["ido_id"]
        if len(setai_nos) <= 1:  # nearly every 異動: a prebuilt statement
            params = {f"i_{k}": v for k, v in values.items()} | {"setai_no": setai_nos[0] if setai_nos else None}
            value = self.session.execute(_INSERT_IDO_PG[len(setai_nos)], params).scalar()
            return None if value is None else int(value)
        number = self._bump("ido", 1).returning(counters.c.value.label("ido_id")).cte("ido_no")
        columns = ["ido_id", *values]
        source = select(number.c.ido_id, *(literal(v, ido.c[k].type) for k, v in values.items()))
        stmt = insert(ido).from_select(columns, source).returning(ido.c.ido_id)
        for i, setai_no in enumerate(setai_nos):
            created = select(literal(self.lg_code, String()), literal(setai_no, String()), number.c.ido_id)
            household = postgresql.insert(households).from_select(["lg_code", "setai_no", "created_ido_id"], created)
            stmt = stmt.add_cte(household.on_conflict_do_nothing().cte(f"new_household_{i}"))
        value = self.session.execute(stmt).scalar()
        return None if value is None else int(value)

    def _ido_values(self, record: Ido, ido_id: int) -> dict[str, Any]:
        return dict(
            lg_code=self.lg_code,
            ido_id=ido_id,
            kind=record.kind,
            reason=record.reason,
            reason_class=record.reason_class.value,
            ido_date=record.ido_date.value,
            ido_date_text=record.ido_date.text,
            shori_date=record.shori_date,
            todokede_date=record.todokede_date,
            notice_date=record.notice_date,
            actor=record.actor,
            place=record.place,
            note=record.note,
            subjects=list(record.subjects),
            command=record.command,
            cancels_ido_id=record.cancels_ido_id,
            recorded_at=utcnow(),
        )

    def insert_events(self, events: list[dict[str, Any]]) -> None:
        """Outbox rows (without ``seq``), numbered in order from the tenant's outbox counter.

        The seqs are taken with one counter UPDATE (+n; the row stays locked until commit, so they are
        gap-free and commit-ordered). On PostgreSQL that UPDATE is a data-modifying CTE of the INSERT."""
        if not events:
            return
        n = len(events)
        if self.is_postgresql and n == 1:  # one person changed: a prebuilt statement
            params = {"lg": self.lg_code, **{f"e_{k}": v for k, v in events[0].items()}}
            if self.session.execute(_INSERT_ONE_EVENT_PG, params).all():
                return
        elif self.is_postgresql:
            number = self._bump("outbox", n).returning(counters.c.value.label("last")).cte("outbox_no")
            # SELECT … UNION ALL … of typed binds, not VALUES: its SQL depends only on n, so it is
            # compiled once per n and then served from the compiled cache.
            selects = [
                select(
                    literal(k, BigInteger()).label("k"),
                    literal(e["event_id"], String()).label("event_id"),
                    literal(e["type"], String()).label("type"),
                    literal(e["subject"], String()).label("subject"),
                    literal(e["occurred_at"], DateTime(timezone=True)).label("occurred_at"),
                    literal(e["payload"], JSON()).label("payload"),
                )
                for k, e in enumerate(events)
            ]
            rows = (selects[0] if n == 1 else union_all(*selects)).subquery("events")
            source = select(
                literal(self.lg_code, String()),
                number.c.last - (n - 1) + rows.c.k,
                rows.c.event_id,
                rows.c.type,
                rows.c.subject,
                rows.c.occurred_at,
                rows.c.payload,
            ).select_from(number.join(rows, true()))
            columns = ["lg_code", "seq", "event_id", "type", "subject", "occurred_at", "payload"]
            written = self.session.execute(insert(outbox).from_select(columns, source).returning(outbox.c.seq)).all()
            if written:  # all n rows (the join has n rows whenever the counter row exists)
                return
        first = self.next_value("outbox", n) - n + 1  # SQLite, or the tenant's first event (no counter row)
        self.session.execute(
            _INSERT_OUTBOX, [{"lg_code": self.lg_code, "seq": first + k, **e} for k, e in enumerate(events)]
        )

    def insert_household(self, setai_no: str, ido_id: int) -> None:
        """Register a 世帯番号 unless it exists (one statement: INSERT … ON CONFLICT DO NOTHING)."""
        dialect_insert = postgresql.insert if self.is_postgresql else sqlite.insert
        self.session.execute(
            dialect_insert(households).on_conflict_do_nothing(),
            {"lg_code": self.lg_code, "setai_no": setai_no, "created_ido_id": ido_id},
        )

    def append(self, change: Change, ido_id: int) -> Row:
        """One new history row (履歴番号 = latest + 1) and the current pointer moved to it."""
        person = change.person
        if person.atena_no in self._known:
            # The current pointer read (after the lock) in this transaction is the latest 履歴番号:
            # every writer moves it to the row it appends, so no second read is needed.
            known = self._known.pop(person.atena_no)
            latest = known.rireki_no if known is not None else None
        else:
            latest = self.session.execute(
                select(func.max(history.c.rireki_no)).where(
                    history.c.lg_code == self.lg_code, history.c.atena_no == person.atena_no
                )
            ).scalar()
        rireki_no = (latest or 0) + 1
        row = {
            "lg_code": self.lg_code,
            "rireki_no": rireki_no,
            "ido_id": ido_id,
            "valid_from": change.valid_from,
            "recorded_at": utcnow(),
            **person_values(person),
            **search_keys(person),
        }
        if self.is_postgresql:  # one statement: history row + current pointer
            document = json.dumps(row, ensure_ascii=False, default=_json_value)
            self.session.execute(_APPEND_NEW if latest is None else _APPEND_NEXT, {"row": document})
            return Row(person, rireki_no, ido_id, change.valid_from)
        self.session.execute(_INSERT_HISTORY, row)
        pointer = {"rireki_no": rireki_no, "setai_no": person.setai_no, "status": person.status.value}
        if latest is None:
            self.session.execute(insert(current).values(lg_code=self.lg_code, atena_no=person.atena_no, **pointer))
        else:
            where = (current.c.lg_code == self.lg_code, current.c.atena_no == person.atena_no)
            self.session.execute(update(current).where(*where).values(**pointer))
        return Row(person, rireki_no, ido_id, change.valid_from)
