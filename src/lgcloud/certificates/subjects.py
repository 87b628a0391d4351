"""Adapter: 住民記録 snapshots (``lgcloud.residents``) → :class:`CertificateSubject`.

Dates become display text here: 和暦 for 日本人 (the 戸籍 wording as entered for non-calendar and
不詳 dates), 西暦 for a foreign resident's 生年月日 and 在留期間の満了の日 (§2.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from lgcloud.certificates.compose import CertificateError
from lgcloud.certificates.model import CertificateSubject, HistoryEntry
from lgcloud.codes.eras import to_wareki
from lgcloud.residents import queries
from lgcloud.residents.model import SEX_LABELS, FlexDate, Ido, Person, ResidentKind, Row
from lgcloud.residents.repository import SqlRegistry


def wareki(value: date | None) -> str:
    return to_wareki(value) if value else ""


def western(value: date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def flex(value: FlexDate | None, foreign: bool = False) -> str:
    if value is None:
        return ""
    if value.text:
        return value.text
    return western(value.value) if foreign else wareki(value.value)


def _history(rows: Sequence[Row], ido: dict[int, Ido]) -> tuple[HistoryEntry, ...]:
    entries = []
    for row in rows:
        record = ido.get(row.ido_id)
        when = record.ido_date.value if record and record.ido_date.value else row.valid_from
        entries.append(HistoryEntry(wareki(when), record.reason if record else "", row.person.address))
    return tuple(entries)


def subject_from(person: Person, history: tuple[HistoryEntry, ...] = ()) -> CertificateSubject:
    foreign = person.kind is ResidentKind.FOREIGN
    return CertificateSubject(
        atena_no=person.atena_no,
        setai_no=person.setai_no,
        shimei=person.shimei,
        foreign=foreign,
        status=person.status.value,
        shimei_kana=person.shimei_kana,
        alpha_name=person.alpha_name or "",
        kyushi=person.kyushi or "",
        tsusho=person.tsusho or "",
        birth=flex(person.birth_date, foreign),
        birth_iso=person.birth_date.iso() or "",
        sex=SEX_LABELS.get(person.sex, ""),
        zokugara=person.zokugara,
        head_name=person.head_name,
        household_order=person.household_order,
        honseki=person.honseki or "",
        hittosha=person.hittosha or "",
        address=person.address,
        katagaki=person.katagaki or "",
        became_resident_on=flex(person.became_resident_on),
        address_set_on=flex(person.address_set_on),
        notified_on=wareki(person.notified_on),
        prev_address=person.prev_address or "",
        juminhyo_code=person.juminhyo_code or "",
        mynumber=person.mynumber or "",
        removal_reason=person.removal_reason or "",
        removed_on=flex(person.removed_on),
        move_out_planned_on=person.move_out_planned_on,
        move_out_planned_text=wareki(person.move_out_planned_on),
        move_out_to=person.move_out_confirmed_to or person.move_out_to or "",
        nationality=person.nationality or "",
        foreign_status_kind=person.foreign_status_kind or "",
        residence_status=person.residence_status or "",
        period_of_stay=person.period_of_stay or "",
        stay_expires_on=western(person.stay_expires_on),
        residence_card_no=person.residence_card_no or "",
        became_foreign_resident_on=flex(person.became_foreign_resident_on, foreign),
        tsusho_recorded_on=wareki(person.tsusho_recorded_on),
        tsusho_deleted_on=wareki(person.tsusho_deleted_on),
        history=history,
    )


def load_subjects(
    session: Session, lg_code: str, atena_nos: Sequence[str], *, with_history: bool = False
) -> list[CertificateSubject]:
    """Current snapshots of these persons, in the order given."""
    rows = {r.atena_no: r for r in queries.current_rows(session, lg_code, list(atena_nos))}
    missing = [a for a in atena_nos if a not in rows]
    if missing:
        raise CertificateError(
            f"宛名番号 {', '.join(missing)} の住民は見つかりません", code="certificate-subject-not-found", status=404
        )
    subjects = []
    for atena_no in atena_nos:
        history: tuple[HistoryEntry, ...] = ()
        if with_history:
            past = queries.history_rows(session, lg_code, atena_no)
            history = _history(past, queries.ido_records(session, lg_code, sorted({r.ido_id for r in past})))
        subjects.append(subject_from(rows[atena_no].person, history))
    return subjects


def household_members(session: Session, lg_code: str, setai_no: str) -> list[str]:
    """宛名番号 of the 世帯's current 住民 members."""
    members = SqlRegistry(session, lg_code).members(setai_no)
    if not members:
        raise CertificateError(
            f"世帯番号 {setai_no} の世帯は見つかりません", code="certificate-household-not-found", status=404
        )
    return [r.atena_no for r in members]
