"""Plan a 異動: command + the registry as it is → the rows to append. Pure (the registry is a port).

``plan`` is used twice: by the services (over the database) and by replay (over memory), which is
how the property test proves that the 異動 records alone rebuild the same history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Protocol

from lgcloud.codes import code_table
from lgcloud.codes.checkdigits import validate_juminhyo_code, validate_mynumber
from lgcloud.residents import rules
from lgcloud.residents.commands import (
    AddressInput,
    Amend,
    Birth,
    Cancel,
    Command,
    Death,
    EntryByAuthority,
    HeadChange,
    HouseholdChange,
    HouseholdMerge,
    HouseholdSplit,
    MoveIn,
    MoveOut,
    MoveOutConfirm,
    MoveWithin,
    PersonInput,
    RemovalByAuthority,
)
from lgcloud.residents.errors import (
    FutureIdoDate,
    InvalidField,
    InvalidHousehold,
    NotAResident,
    PossibleDuplicate,
    ReentryDetected,
    ResidentNotFound,
)
from lgcloud.residents.keys import parse_date, to_katakana
from lgcloud.residents.model import HEAD, FlexDate, Ido, IdoClass, Person, ResidentKind, Row, Sex, Status

#: 異動事由 → class (§2.8).
REASON_CLASS: dict[str, IdoClass] = {
    **dict.fromkeys(["国内転入", "国外転入等", "出生", "職権記載", "異動の取消し（増）"], IdoClass.ENTRY),
    **dict.fromkeys(["国内転出", "国外転出", "死亡", "職権消除", "異動の取消し（減）"], IdoClass.REMOVAL),
    **dict.fromkeys(
        [
            "転居",
            "世帯分離",
            "世帯合併",
            "世帯変更",
            "世帯主変更",
            "異動の取消し（修正）",
            "職権修正",
            "軽微な修正",
            "誤記修正",
            "個人番号の職権記載",
            "個人番号の職権修正",
            "個人番号の変更請求",
            "住民票コードの職権記載",
            "住民票コードの変更請求",
            "旧氏の記載",
            "旧氏の変更",
            "旧氏の削除",
            "通称の記載",
            "通称の削除",
        ],
        IdoClass.AMENDMENT,
    ),
}


@cache
def reason_code(reason: str, reason_class: IdoClass) -> str | None:
    """The 異動事由コード of ``lgcloud.codes`` (table ``idou_reason``) for a reason and its class.

    Code tables are static package data, so the answer is cached per process."""
    for entry in code_table("idou_reason").entries:
        if entry.name == reason and entry.attrs.get("class") == reason_class.value:
            return entry.code
    return None


CANCEL_REASON = {
    IdoClass.ENTRY: "異動の取消し（減）",
    IdoClass.REMOVAL: "異動の取消し（増）",
    IdoClass.AMENDMENT: "異動の取消し（修正）",
}


class RegistryView(Protocol):
    """What a plan may read. Rows are the latest (current) rows unless stated."""

    def current(self, atena_no: str) -> Row | None: ...
    def previous(self, row: Row) -> Row | None: ...
    def members(self, setai_no: str) -> list[Row]: ...
    def household_exists(self, setai_no: str) -> bool: ...
    def find_by_numbers(self, juminhyo_code: str | None, mynumber: str | None, card_no: str | None) -> list[Row]: ...
    def find_by_three_info(self, shimei: str, sex: str, birth: date | None) -> list[Row]: ...
    def ido(self, ido_id: int) -> Ido | None: ...
    def rows_of_ido(self, ido_id: int) -> list[Row]: ...


class Allocator(Protocol):
    def next_atena_no(self) -> str: ...
    def next_setai_no(self) -> str: ...
    def reserve_numbers(self, count: int) -> None:
        """A hint: exactly ``count`` numbers are about to be taken (one round trip instead of ``count``)."""

    def take_juminhyo_code(self, atena_no: str) -> str | None:
        """A 住民票コード from the pool, now given to ``atena_no``; None when the pool is empty."""


@dataclass
class Change:
    person: Person
    valid_from: date


@dataclass
class Plan:
    """A planned 異動: its record fields and the rows to append, in order."""

    command: Command
    reason: str
    ido_date: FlexDate
    todokede_date: date | None
    changes: list[Change]
    subjects: tuple[str, ...]
    note: str | None = None
    cancels_ido_id: int | None = None
    new_setai_nos: list[str] = field(default_factory=list)

    @property
    def reason_class(self) -> IdoClass:
        return REASON_CLASS[self.reason]


@dataclass
class _Draft:
    command: Command
    reason: str
    ido_date: FlexDate
    movers: dict[str, Person]
    note: str | None = None
    new_setai_nos: list[str] = field(default_factory=list)
    valid_from: dict[str, date] | None = None  # per person (cancel)
    cancels: int | None = None
    ordered_timeline: bool = True


def plan(command: Command, view: RegistryView, alloc: Allocator, today: date) -> Plan:
    """Check every rule and compute the rows of one 異動. Raises before anything is written."""
    handler = HANDLERS[command.kind]
    draft = handler(command, view, alloc, today)
    rules.check_todokede_date(command.todokede_date, today)
    default_from = draft.ido_date.value or today
    valid_from = {a: (draft.valid_from or {}).get(a, default_from) for a in draft.movers}
    current = [r for a in draft.movers if (r := view.current(a)) is not None]
    if draft.ordered_timeline:
        rules.check_not_before_latest(current, default_from)
    if len(current) == len(draft.movers) and all(r.person == draft.movers[r.atena_no] for r in current):
        raise InvalidField("この異動で変わる項目がありません", field="form")
    merged = dict(draft.movers)
    merged.update(_settle(view, draft.movers))  # a mover keeps its place; others follow
    changes = [Change(p, valid_from.get(a, default_from)) for a, p in merged.items()]
    return Plan(
        command=draft.command,
        reason=draft.reason,
        ido_date=draft.ido_date,
        todokede_date=command.todokede_date or today,
        changes=changes,
        subjects=tuple(draft.movers),
        note=draft.note,
        cancels_ido_id=draft.cancels,
        new_setai_nos=draft.new_setai_nos,
    )


def _settle(view: RegistryView, movers: dict[str, Person]) -> dict[str, Person]:
    """世帯主 rules and 世帯主の氏名 for every 世帯 a mover left or joined."""
    old = {r.person.setai_no for a in movers if (r := view.current(a)) is not None}
    touched = sorted(old | {p.setai_no for p in movers.values()})
    extras: dict[str, Person] = {}
    for setai_no in touched:
        before = [r.person for r in view.members(setai_no)]
        after = [p for p in before if p.atena_no not in movers]
        after += [p for p in movers.values() if p.setai_no == setai_no and p.is_resident]
        after.sort(key=lambda p: (p.household_order, p.atena_no))
        for person in rules.settle_household(setai_no, before, after, set(movers)):
            extras[person.atena_no] = person
    return extras


# --- helpers --------------------------------------------------------------------------------------


def _ido_date(command: Command, today: date, *, allow_future: bool = False, flexible: bool = False) -> FlexDate:
    value = parse_date(command.ido_date, field="ido_date", flexible=flexible) if command.ido_date else FlexDate(today)
    rules.check_ido_date(value, today, allow_future=allow_future)
    return value


def _resident(view: RegistryView, atena_no: str) -> Row:
    return rules.require_resident(view.current(atena_no), atena_no)


def _destination(
    view: RegistryView, alloc: Allocator, to_setai_no: str | None, new_setai_no: str | None
) -> tuple[str, bool]:
    """(世帯番号, is_new). An existing 世帯 must have 住民 members."""
    if to_setai_no:
        if not view.members(to_setai_no):
            raise InvalidHousehold(f"世帯番号 {to_setai_no} の世帯は見つかりません", field="to_setai_no")
        return to_setai_no, False
    return new_setai_no or alloc.next_setai_no(), True


def _next_order(view: RegistryView, setai_no: str, taken: int = 0) -> int:
    orders = [r.person.household_order for r in view.members(setai_no)]
    return max(orders, default=0) + 1 + taken


def _zokugara(mapping: dict[str, str], atena_no: str) -> str:
    value = mapping.get(atena_no)
    if not value:
        raise InvalidField(f"宛名番号 {atena_no} の続柄を指定してください", field="zokugara", atena_no=atena_no)
    rules.check_zokugara(value, atena_no=atena_no)
    return value


def _check_numbers(mynumber: str | None, juminhyo_code: str | None) -> None:
    if mynumber and (reason := validate_mynumber(mynumber)):
        raise InvalidField(f"個人番号: {reason}", field="mynumber")
    if juminhyo_code and (reason := validate_juminhyo_code(juminhyo_code)):
        raise InvalidField(f"住民票コード: {reason}", field="juminhyo_code")


def _check_required(inp: PersonInput) -> None:
    """空欄を許容しない項目 (j60)."""
    if inp.kind is ResidentKind.JAPANESE and not inp.honseki:
        raise InvalidField("本籍を入力してください（「なし」「不明」も可）", field="honseki")
    if inp.kind is ResidentKind.FOREIGN:
        for name, label in (("nationality", "国籍・地域"), ("foreign_status_kind", "30条45区分")):
            if not getattr(inp, name):
                raise InvalidField(f"{label}を入力してください", field=name)
        if inp.foreign_status_kind in ("中長期在留者", "特別永住者") and not inp.residence_card_no:
            raise InvalidField("在留カード等の番号を入力してください", field="residence_card_no")


def _new_person(
    inp: PersonInput,
    *,
    atena_no: str,
    setai_no: str,
    address: AddressInput,
    ido_date: FlexDate,
    order: int,
    prev_address: str | None = None,
    prev_postal_code: str | None = None,
    today: date,
    base: Person | None = None,
) -> Person:
    _check_required(inp)
    _check_numbers(inp.mynumber, inp.juminhyo_code)
    rules.check_zokugara(inp.zokugara)
    birth = parse_date(inp.birth_date, field="birth_date")
    if birth.value and birth.value > today:
        raise InvalidField("生年月日に未来の日付は指定できません", field="birth_date")
    became = parse_date(inp.became_resident_on, field="became_resident_on") if inp.became_resident_on else ido_date
    values = dict(
        atena_no=atena_no,
        setai_no=setai_no,
        kind=inp.kind,
        status=Status.RESIDENT,
        shimei=inp.shimei,
        shimei_kana=to_katakana(inp.shimei_kana),
        shimei_kana_confirmed=inp.shimei_kana_confirmed,
        alpha_name=inp.alpha_name,
        kyushi=inp.kyushi,
        kyushi_kana=_kana(inp.kyushi_kana),
        tsusho=inp.tsusho,
        tsusho_kana=_kana(inp.tsusho_kana),
        tsusho_recorded_on=today if inp.tsusho else None,
        birth_date=birth,
        sex=inp.sex,
        zokugara=inp.zokugara,
        household_order=order,
        honseki=inp.honseki,
        hittosha=inp.hittosha,
        address=address.address,
        address_code=address.address_code,
        katagaki=address.katagaki,
        postal_code=address.postal_code,
        became_resident_on=became,
        address_set_on=became,
        notified_on=today,
        prev_address=prev_address,
        prev_postal_code=prev_postal_code,
        juminhyo_code=inp.juminhyo_code,
        mynumber=inp.mynumber,
        nationality=inp.nationality,
        foreign_status_kind=inp.foreign_status_kind,
        residence_status=inp.residence_status,
        period_of_stay=inp.period_of_stay,
        stay_expires_on=inp.stay_expires_on,
        residence_card_no=inp.residence_card_no,
        became_foreign_resident_on=became if inp.kind is ResidentKind.FOREIGN else None,
        remarks=inp.remarks,
        removal_reason=None,
        move_out_planned_on=None,
        move_out_to=None,
        move_out_to_postal_code=None,
        move_out_confirmed_to=None,
        move_out_on=None,
        move_in_notice_on=None,
        removed_on=None,
    )
    return base.replace(**values) if base else Person(**values)


def _kana(text: str | None) -> str | None:
    return to_katakana(text) if text else None


# --- 記載: 転入, 職権記載, 出生 ----------------------------------------------------------------------


def _entry(
    command: MoveIn | EntryByAuthority,
    view: RegistryView,
    alloc: Allocator,
    today: date,
    reason: str,
    prev_address: str | None,
    prev_postal: str | None,
) -> _Draft:
    ido_date = _ido_date(command, today)
    new_household = not (command.to_setai_no or command.new_setai_no)
    alloc.reserve_numbers(new_household + sum(not p.atena_no for p in command.persons))
    setai_no, is_new = _destination(view, alloc, command.to_setai_no, command.new_setai_no)
    heads = [p for p in command.persons if p.zokugara == HEAD]
    if is_new and len(heads) != 1:
        raise InvalidHousehold("新しい世帯には世帯主を1人指定してください", field="zokugara")
    movers: dict[str, Person] = {}
    resolved: list[PersonInput] = []
    for i, inp in enumerate(command.persons):
        try:
            base = _check_identity(inp, view)
        except (ReentryDetected, PossibleDuplicate) as exc:
            exc.detail["person_index"] = i  # which 異動者 of the form it is about
            raise
        atena_no = inp.atena_no or alloc.next_atena_no()
        if reason == "国外転入等" and base is None:
            inp = _with_pooled_code(inp, atena_no, alloc)
        order = i + 1 if is_new else _next_order(view, setai_no, i)
        movers[atena_no] = _new_person(
            inp,
            atena_no=atena_no,
            setai_no=setai_no,
            address=command.address,
            ido_date=ido_date,
            order=order,
            prev_address=prev_address,
            prev_postal_code=prev_postal,
            today=today,
            base=base,
        )
        resolved.append(inp.model_copy(update={"atena_no": atena_no}))
    if len(movers) != len(command.persons):
        raise InvalidField("同じ宛名番号が重複しています", field="persons")
    update = {"persons": resolved, "new_setai_no": setai_no if is_new else None}
    return _Draft(
        command.model_copy(update=update),
        reason,
        ido_date,
        movers,
        new_setai_nos=[setai_no] if is_new else [],
    )


def _check_identity(inp: PersonInput, view: RegistryView) -> Person | None:
    """Re-entry detection (j600): returns the former record for a 再転入, else None."""
    reentry_no = inp.atena_no if inp.reentry else None
    if inp.atena_no and not inp.reentry and view.current(inp.atena_no) is not None:
        raise InvalidField(f"宛名番号 {inp.atena_no} は既に使われています", field="atena_no")
    matches = view.find_by_numbers(inp.juminhyo_code, inp.mynumber, inp.residence_card_no)
    rules.check_reentry(matches, reentry_no)
    birth = parse_date(inp.birth_date, field="birth_date")
    rules.check_three_info(
        view.find_by_three_info(inp.shimei, inp.sex.value, birth.value), inp.confirm_duplicate, reentry_no
    )
    if reentry_no is None:
        return None
    return rules.check_reentry_target(view.current(reentry_no), reentry_no).person


def _with_pooled_code(inp: PersonInput, atena_no: str, alloc: Allocator) -> PersonInput:
    """出生 and 国外転入: a person entered without a 住民票コード takes one from the pool (j870), recorded in the
    resolved command. An empty pool does not stop the 記載: 住民票コードの職権記載 follows once codes arrive
    (the desk warns before it runs out)."""
    if inp.juminhyo_code:
        return inp
    return inp.model_copy(update={"juminhyo_code": alloc.take_juminhyo_code(atena_no)})


def _move_in(command: MoveIn, view: RegistryView, alloc: Allocator, today: date) -> _Draft:
    reason = "国内転入" if command.origin == "domestic" else "国外転入等"
    return _entry(command, view, alloc, today, reason, command.prev_address, command.prev_postal_code)


def _entry_by_authority(command: EntryByAuthority, view: RegistryView, alloc: Allocator, today: date) -> _Draft:
    prev = command.prev_address
    if command.unreported and prev and not prev.endswith("（未届）"):
        prev += "（未届）"
    return _entry(command, view, alloc, today, "職権記載", prev, None)


def _birth(command: Birth, view: RegistryView, alloc: Allocator, today: date) -> _Draft:
    inp = command.person
    ido_date = _ido_date(
        command.model_copy(update={"ido_date": command.ido_date or inp.birth_date}), today, flexible=True
    )
    setai_no, is_new = _destination(view, alloc, command.to_setai_no, command.new_setai_no)
    if is_new:
        if command.address is None or inp.zokugara != HEAD:
            raise InvalidHousehold("新しい世帯を作るときは住所を入力し、続柄を世帯主にしてください", field="address")
        address, order = command.address, 1
    else:
        home = view.members(setai_no)[0].person
        address = AddressInput(
            address=home.address,
            address_code=home.address_code,
            katagaki=home.katagaki,
            postal_code=home.postal_code,
        )
        order = _next_order(view, setai_no)
    atena_no = inp.atena_no or alloc.next_atena_no()
    inp = _with_pooled_code(inp, atena_no, alloc)
    person = _new_person(
        inp.model_copy(update={"atena_no": atena_no}),
        atena_no=atena_no,
        setai_no=setai_no,
        address=address,
        ido_date=ido_date,
        order=order,
        today=today,
    )
    person = person.replace(became_resident_on=person.birth_date, address_set_on=person.birth_date)
    resolved = command.model_copy(
        update={
            "person": inp.model_copy(update={"atena_no": atena_no}),
            "new_setai_no": setai_no if is_new else None,
        }
    )
    return _Draft(resolved, "出生", ido_date, {atena_no: person}, new_setai_nos=[setai_no] if is_new else [])


# --- 修正: 転居, 世帯 -------------------------------------------------------------------------------


def _move_within(command: MoveWithin, view: RegistryView, alloc: Allocator, today: date) -> _Draft:
    ido_date = _ido_date(command, today)
    rows = [_resident(view, a) for a in command.atena_nos]
    setai_nos = {r.person.setai_no for r in rows}
    whole = len(setai_nos) == 1 and {r.atena_no for r in view.members(next(iter(setai_nos)))} == set(command.atena_nos)
    addr = command.address
    fields = dict(
        address=addr.address,
        address_code=addr.address_code,
        katagaki=addr.katagaki,
        postal_code=addr.postal_code,
        address_set_on=ido_date,
        notified_on=today,
    )
    if whole and not command.to_setai_no and not command.new_setai_no:
        movers = {r.atena_no: r.person.replace(**fields) for r in rows}
        return _Draft(command, "転居", ido_date, movers)
    setai_no, is_new = _destination(view, alloc, command.to_setai_no, command.new_setai_no)
    movers = _rehouse(view, rows, setai_no, is_new, command.zokugara, fields)
    update = {"new_setai_no": setai_no if is_new else None}
    return _Draft(
        command.model_copy(update=update),
        "転居",
        ido_date,
        movers,
        new_setai_nos=[setai_no] if is_new else [],
    )


def _rehouse(
    view: RegistryView,
    rows: Sequence[Row],
    setai_no: str,
    is_new: bool,
    zokugara: dict[str, str],
    fields: dict[str, object] | None = None,
) -> dict[str, Person]:
    """Movers into 世帯 ``setai_no`` with their new 続柄, appended at the end of its order."""
    movers: dict[str, Person] = {}
    for i, row in enumerate(rows):
        order = i + 1 if is_new else _next_order(view, setai_no, i)
        movers[row.atena_no] = row.person.replace(
            setai_no=setai_no,
            zokugara=_zokugara(zokugara, row.atena_no),
            household_order=order,
            **(fields or {}),
        )
    if is_new and sum(p.is_head for p in movers.values()) != 1:
        raise InvalidHousehold("新しい世帯には世帯主を1人指定してください", field="zokugara")
    return movers


def _split(command: HouseholdSplit, view: RegistryView, alloc: Allocator, today: date) -> _Draft:
    ido_date = _ido_date(command, today)
    rows = [_resident(view, a) for a in command.atena_nos]
    if len({r.person.setai_no for r in rows}) != 1:
        raise InvalidHousehold("世帯分離は同じ世帯の世帯員を指定してください", field="atena_nos")
    if len(rows) == len(view.members(rows[0].person.setai_no)):
        raise InvalidHousehold("世帯員全員の世帯分離はできません", field="atena_nos")
    setai_no = command.new_setai_no or alloc.next_setai_no()
    movers = _rehouse(view, rows, setai_no, True, command.zokugara)
    return _Draft(
        command.model_copy(update={"new_setai_no": setai_no}),
        "世帯分離",
        ido_date,
        movers,
        new_setai_nos=[setai_no],
    )


def _merge(command: HouseholdMerge, view: RegistryView, alloc: Allocator, today: date) -> _Draft:
    ido_date = _ido_date(command, today)
    if command.from_setai_no == command.to_setai_no:
        raise InvalidHousehold("合併元と合併先が同じ世帯です", field="to_setai_no")
    rows = view.members(command.from_setai_no)
    if not rows:
        raise InvalidHousehold(f"世帯番号 {command.from_setai_no} の世帯は見つかりません", field="from_setai_no")
    setai_no, _ = _destination(view, alloc, command.to_setai_no, None)
    movers = _rehouse(view, rows, setai_no, False, command.zokugara)
    return _Draft(command, "世帯合併", ido_date, movers)


def _change(command: HouseholdChange, view: RegistryView, alloc: Allocator, today: date) -> _Draft:
    ido_date = _ido_date(command, today)
    rows = [_resident(view, a) for a in command.atena_nos]
    if any(r.person.setai_no == command.to_setai_no for r in rows):
        raise InvalidHousehold("既にその世帯の世帯員です", field="to_setai_no")
    setai_no, _ = _destination(view, alloc, command.to_setai_no, None)
    movers = _rehouse(view, rows, setai_no, False, command.zokugara)
    return _Draft(command, "世帯変更", ido_date, movers)


def _head_change(command: HeadChange, view: RegistryView, alloc: Allocator, today: date) -> _Draft:
    ido_date = _ido_date(command, today)
    members = [r.person for r in view.members(command.setai_no)]
    if not members:
        raise InvalidHousehold(f"世帯番号 {command.setai_no} の世帯は見つかりません", field="setai_no")
    rules.check_head_change(members, command.new_head, command.zokugara)
    movers = {}
    for person in members:
        zokugara = HEAD if person.atena_no == command.new_head else _zokugara(command.zokugara, person.atena_no)
        if zokugara == HEAD and person.atena_no != command.new_head:
            raise InvalidHousehold("世帯主は新しい世帯主1人だけです", field="zokugara")
        movers[person.atena_no] = person.replace(zokugara=zokugara)
    return _Draft(command, "世帯主変更", ido_date, movers)


# --- 消除: 転出, 死亡, 職権消除 ----------------------------------------------------------------------


def _move_out(command: MoveOut, view: RegistryView, alloc: Allocator, today: date) -> _Draft:
    ido_date = _ido_date(command, today, allow_future=True)
    reason = "国内転出" if command.destination == "domestic" else "国外転出"
    planned = ido_date.value or today
    note = command.note
    todokede = command.todokede_date or today
    if rules.is_late_move_out(planned, todokede):
        note = "転出後14日を過ぎた届出のため職権により記載" + (f"。{note}" if note else "")
    movers = {
        a: _resident(view, a).person.replace(
            status=Status.MOVED_OUT,
            removal_reason=reason,
            move_out_planned_on=planned,
            move_out_to=command.move_out_to,
            move_out_to_postal_code=command.move_out_to_postal_code,
            removed_on=FlexDate(planned),
            notified_on=todokede,
        )
        for a in command.atena_nos
    }
    return _Draft(command, reason, ido_date, movers, note=note)


def _move_out_confirm(command: MoveOutConfirm, view: RegistryView, alloc: Allocator, today: date) -> _Draft:
    row = view.current(command.atena_no)
    if row is None:
        raise ResidentNotFound(f"宛名番号 {command.atena_no} は見つかりません", atena_no=command.atena_no)
    person = row.person
    if person.status is not Status.MOVED_OUT or person.move_out_planned_on is None:
        raise NotAResident("転出届のない住民には転入通知を処理できません", atena_no=command.atena_no)
    if command.move_in_date > today:
        raise FutureIdoDate("転入日に未来の日付は指定できません", field="move_in_date")
    removed = min(person.move_out_planned_on, command.move_in_date)
    moved = person.replace(
        move_out_on=command.move_in_date,
        move_in_notice_on=command.notice_date or today,
        move_out_confirmed_to=command.confirmed_to or person.move_out_to,
        removed_on=FlexDate(removed),
    )
    return _Draft(
        command,
        person.removal_reason or "国内転出",
        FlexDate(removed),
        {person.atena_no: moved},
        note="転入通知による転出の確定",
        ordered_timeline=False,
    )


def _removal(
    atena_nos: Sequence[str], view: RegistryView, ido_date: FlexDate, reason: str, status: Status, today: date
) -> dict[str, Person]:
    return {
        a: _resident(view, a).person.replace(
            status=status, removal_reason=reason, removed_on=ido_date, notified_on=today
        )
        for a in atena_nos
    }


def _death(command: Death, view: RegistryView, alloc: Allocator, today: date) -> _Draft:
    ido_date = _ido_date(command, today, flexible=True)
    movers = _removal([command.atena_no], view, ido_date, "死亡", Status.DECEASED, today)
    return _Draft(command, "死亡", ido_date, movers)


def _removal_by_authority(command: RemovalByAuthority, view: RegistryView, alloc: Allocator, today: date) -> _Draft:
    ido_date = _ido_date(command, today, flexible=True)
    movers = _removal(command.atena_nos, view, ido_date, "職権消除", Status.REMOVED, today)
    return _Draft(command, "職権消除", ido_date, movers)


# --- 修正 of items, 取消 -----------------------------------------------------------------------------

#: Items each 修正 reason may change. 住所 changes by 転居, 世帯 by the 世帯 異動, 状態 by 記載/消除.
_NAME_ITEMS = {"shimei", "shimei_kana", "shimei_kana_confirmed", "alpha_name", "kyushi_kana", "tsusho_kana"}
_PERSON_ITEMS = _NAME_ITEMS | {
    "birth_date",
    "sex",
    "honseki",
    "hittosha",
    "katagaki",
    "postal_code",
    "address_code",
    "zokugara",
    "nationality",
    "foreign_status_kind",
    "residence_status",
    "period_of_stay",
    "stay_expires_on",
    "residence_card_no",
    "remarks",
    "elector",
    "kokuho",
    "kouki",
    "kaigo",
    "pension_no",
    "pension_kind",
    "child_allowance_from",
    "adult_guardianship",
    "kyushi_kana_confirmed",
    "tsusho_kana_confirmed",
    "became_resident_on",
    "address_set_on",
    "prev_address",
    "prev_postal_code",
}
AMEND_ITEMS: dict[str, frozenset[str]] = {
    "職権修正": frozenset(_PERSON_ITEMS | {"address"}),
    "軽微な修正": frozenset({"shimei", "address", "address_code", "katagaki", "postal_code", "honseki", "hittosha"}),
    "誤記修正": frozenset(_PERSON_ITEMS | {"address", "juminhyo_code", "mynumber"}),
    "個人番号の職権記載": frozenset({"mynumber"}),
    "個人番号の職権修正": frozenset({"mynumber"}),
    "個人番号の変更請求": frozenset({"mynumber"}),
    "住民票コードの職権記載": frozenset({"juminhyo_code"}),
    "住民票コードの変更請求": frozenset({"juminhyo_code"}),
    "旧氏の記載": frozenset({"kyushi", "kyushi_kana", "kyushi_kana_confirmed"}),
    "旧氏の変更": frozenset({"kyushi", "kyushi_kana", "kyushi_kana_confirmed"}),
    "旧氏の削除": frozenset({"kyushi", "kyushi_kana", "kyushi_kana_confirmed"}),
    "通称の記載": frozenset({"tsusho", "tsusho_kana", "tsusho_kana_confirmed"}),
    "通称の削除": frozenset({"tsusho", "tsusho_kana", "tsusho_kana_confirmed"}),
}
_BOOL_ITEMS = {
    "shimei_kana_confirmed",
    "kyushi_kana_confirmed",
    "tsusho_kana_confirmed",
    "elector",
    "kokuho",
    "kouki",
    "kaigo",
    "adult_guardianship",
}
_REQUIRED_ITEMS = {"shimei", "birth_date", "address"}


def _amend(command: Amend, view: RegistryView, alloc: Allocator, today: date) -> _Draft:
    ido_date = _ido_date(command, today)
    row = view.current(command.atena_no)
    if row is None:
        raise ResidentNotFound(f"宛名番号 {command.atena_no} は見つかりません", atena_no=command.atena_no)
    if command.reason != "誤記修正":
        row = _resident(view, command.atena_no)
    allowed = AMEND_ITEMS[command.reason]
    values = {
        name: _amend_value(name, value, today) for name, value in command.changes.items() if _allowed(name, allowed)
    }
    person = row.person.replace(**values)
    person = _amend_side_effects(command, row.person, person, today)
    if person == row.person:
        raise InvalidField("変更される項目がありません", field="changes")
    note = command.note
    if command.corrects_rireki_no is not None:
        note = f"履歴番号 {command.corrects_rireki_no} の誤記を修正" + (f"。{note}" if note else "")
    return _Draft(command, command.reason, ido_date, {person.atena_no: person}, note=note)


def _allowed(name: str, allowed: frozenset[str]) -> bool:
    if name not in allowed:
        raise InvalidField(f"項目 {name} はこの異動事由では修正できません", field=name)
    return True


def _amend_value(name: str, value: str | bool | None, today: date) -> object:
    if name in _REQUIRED_ITEMS and not value:
        raise InvalidField(f"{name} は空欄にできません", field=name)
    if name in _BOOL_ITEMS:
        return bool(value) if not isinstance(value, str) else value.lower() in ("1", "true", "on", "yes")
    if value is None or value == "":
        return None
    text = str(value)
    if name in {"birth_date", "became_resident_on", "address_set_on"}:
        return parse_date(text, field=name)
    if name == "stay_expires_on":
        return parse_date(text, field=name, flexible=False).value
    if name == "zokugara":
        rules.check_zokugara(text)
    if name == "sex":
        if text not in ("1", "2"):
            raise InvalidField("性別は 1（男）または 2（女）です", field=name)
        return Sex(text)
    if name.endswith("_kana"):
        return to_katakana(text)
    if name == "mynumber":
        _check_numbers(text, None)
    if name == "juminhyo_code":
        _check_numbers(None, text)
    return text


def _amend_side_effects(command: Amend, before: Person, after: Person, today: date) -> Person:
    if command.reason == "通称の記載":
        return after.replace(tsusho_recorded_on=today, tsusho_deleted_on=None)
    if command.reason == "通称の削除":
        return after.replace(tsusho=None, tsusho_kana=None, tsusho_deleted_on=today)
    if command.reason == "旧氏の削除":
        return after.replace(kyushi=None, kyushi_kana=None, kyushi_kana_confirmed=False)
    return after


def _cancel(command: Cancel, view: RegistryView, alloc: Allocator, today: date) -> _Draft:
    target = view.ido(command.target_ido_id)
    if target is None:
        raise ResidentNotFound(f"異動 {command.target_ido_id} は見つかりません", ido_id=command.target_ido_id)
    written = view.rows_of_ido(target.ido_id)
    latest = [view.current(r.atena_no) for r in written]
    rules.check_cancellable(target, [r for r in latest if r is not None])
    movers: dict[str, Person] = {}
    valid_from: dict[str, date] = {}
    for row in written:
        prior = view.previous(row)
        movers[row.atena_no] = prior.person if prior else _cancelled_entry(row.person, today)
        valid_from[row.atena_no] = row.valid_from
    reason = CANCEL_REASON[target.reason_class]
    return _Draft(
        command,
        reason,
        FlexDate(today),
        movers,
        valid_from=valid_from,
        cancels=target.ido_id,
        ordered_timeline=False,
    )


def _cancelled_entry(person: Person, today: date) -> Person:
    """A record whose 記載 is cancelled: kept, as 消除 by 異動の取消し（減）."""
    return person.replace(status=Status.REMOVED, removal_reason="異動の取消し（減）", removed_on=FlexDate(today))


Handler = Callable[[Command, RegistryView, Allocator, date], _Draft]
HANDLERS: dict[str, Handler] = {
    "move_in": _move_in,  # type: ignore[dict-item]
    "entry_by_authority": _entry_by_authority,  # type: ignore[dict-item]
    "birth": _birth,  # type: ignore[dict-item]
    "move_within": _move_within,  # type: ignore[dict-item]
    "move_out": _move_out,  # type: ignore[dict-item]
    "move_out_confirm": _move_out_confirm,  # type: ignore[dict-item]
    "death": _death,  # type: ignore[dict-item]
    "removal_by_authority": _removal_by_authority,  # type: ignore[dict-item]
    "household_split": _split,  # type: ignore[dict-item]
    "household_merge": _merge,  # type: ignore[dict-item]
    "household_change": _change,  # type: ignore[dict-item]
    "head_change": _head_change,  # type: ignore[dict-item]
    "amend": _amend,  # type: ignore[dict-item]
    "cancel": _cancel,  # type: ignore[dict-item]
}
