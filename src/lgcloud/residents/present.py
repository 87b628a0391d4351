"""Presentation shared by the API and the UI: JSON shapes, Japanese labels, 和暦 display."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from lgcloud.residents.handlers import reason_code
from lgcloud.residents.keys import display_date

__all__ = ["LABELS", "change_list", "display", "display_date", "ido_json", "person_json", "row_json"]
from lgcloud.residents.model import SEX_LABELS, FlexDate, Ido, Person, ResidentKind, Row

LABELS: dict[str, str] = {
    "atena_no": "宛名番号",
    "setai_no": "世帯番号",
    "kind": "住民種別",
    "status": "住民状態",
    "shimei": "氏名",
    "shimei_kana": "フリガナ",
    "shimei_kana_confirmed": "フリガナ確認",
    "alpha_name": "氏名（アルファベット）",
    "kyushi": "旧氏",
    "kyushi_kana": "旧氏フリガナ",
    "kyushi_kana_confirmed": "旧氏フリガナ確認",
    "tsusho": "通称",
    "tsusho_kana": "通称フリガナ",
    "tsusho_kana_confirmed": "通称フリガナ確認",
    "tsusho_recorded_on": "通称の記載年月日",
    "tsusho_deleted_on": "通称の削除年月日",
    "birth_date": "生年月日",
    "sex": "性別",
    "zokugara": "続柄",
    "head_name": "世帯主",
    "household_order": "世帯内の順位",
    "honseki": "本籍",
    "hittosha": "筆頭者",
    "address": "住所",
    "address_code": "住所コード",
    "katagaki": "方書",
    "postal_code": "郵便番号",
    "became_resident_on": "住民となった年月日",
    "address_set_on": "住所を定めた年月日",
    "notified_on": "届出の年月日",
    "prev_address": "転入前住所",
    "prev_postal_code": "転入前住所の郵便番号",
    "juminhyo_code": "住民票コード",
    "mynumber": "個人番号",
    "elector": "選挙人名簿登録",
    "kokuho": "国民健康保険",
    "kouki": "後期高齢者医療",
    "kaigo": "介護保険",
    "pension_no": "基礎年金番号",
    "pension_kind": "国民年金の種別",
    "child_allowance_from": "児童手当受給開始年月",
    "adult_guardianship": "成年被後見人",
    "removal_reason": "消除事由",
    "move_out_planned_on": "転出予定年月日",
    "move_out_to": "転出先住所（予定）",
    "move_out_to_postal_code": "転出先郵便番号",
    "move_out_confirmed_to": "転出先住所（確定）",
    "move_out_on": "転出年月日",
    "move_in_notice_on": "転入通知年月日",
    "removed_on": "消除の異動日",
    "nationality": "国籍・地域",
    "foreign_status_kind": "法第30条の45に規定する区分",
    "residence_status": "在留資格",
    "period_of_stay": "在留期間",
    "stay_expires_on": "在留期間の満了の日",
    "residence_card_no": "在留カード等の番号",
    "became_foreign_resident_on": "外国人住民となった年月日",
    "remarks": "備考",
}
KIND_LABELS = {ResidentKind.JAPANESE: "日本人", ResidentKind.FOREIGN: "外国人"}
_WESTERN = {"stay_expires_on"}


def display(person: Person, name: str) -> str:
    """A field as a clerk reads it: 和暦 dates (西暦 for 外国人の生年月日・在留期間満了日), labels for codes."""
    value = getattr(person, name)
    if value is None or value == "":
        return ""
    if isinstance(value, FlexDate | date):
        western = name in _WESTERN or (name == "birth_date" and person.kind is ResidentKind.FOREIGN)
        return display_date(value, western=western)
    if name == "sex":
        return SEX_LABELS[value]
    if name == "kind":
        return KIND_LABELS[value]
    if isinstance(value, bool):
        return "該当" if value else ""
    return str(value)


def changed_fields(before: Person | None, after: Person) -> list[str]:
    if before is None:
        return []
    return [f.name for f in dataclasses.fields(Person) if getattr(before, f.name) != getattr(after, f.name)]


_HIDDEN_CHANGES = {"household_order", "notified_on"}


def change_list(before: Person | None, after: Person) -> list[tuple[str, str, str]]:
    """(label, before, after) of each item a history row changed, for the timeline."""
    return [
        (LABELS.get(name, name), display(before, name), display(after, name))
        for name in changed_fields(before, after)
        if name not in _HIDDEN_CHANGES and before is not None
    ]


def _json_value(value: Any) -> Any:
    if isinstance(value, FlexDate):
        return {"date": value.iso(), "text": value.text}
    if isinstance(value, date):
        return value.isoformat()
    return value.value if hasattr(value, "value") and not isinstance(value, bool) else value


def person_json(person: Person) -> dict[str, Any]:
    data = {f.name: _json_value(getattr(person, f.name)) for f in dataclasses.fields(Person)}
    data["birth_date_display"] = display(person, "birth_date")
    return data


def row_json(row: Row) -> dict[str, Any]:
    return {
        "rireki_no": row.rireki_no,
        "ido_id": row.ido_id,
        "valid_from": row.valid_from.isoformat(),
        "person": person_json(row.person),
    }


def ido_json(ido: Ido) -> dict[str, Any]:
    return {
        "ido_id": ido.ido_id,
        "kind": ido.kind,
        "reason": ido.reason,
        "reason_class": ido.reason_class.value,
        "reason_code": reason_code(ido.reason, ido.reason_class),  # 異動事由コード (codes table idou_reason)
        "ido_date": ido.ido_date.iso(),
        "ido_date_text": ido.ido_date.text,
        "shori_date": ido.shori_date.isoformat(),
        "todokede_date": ido.todokede_date.isoformat() if ido.todokede_date else None,
        "notice_date": ido.notice_date.isoformat() if ido.notice_date else None,
        "actor": ido.actor,
        "place": ido.place,
        "note": ido.note,
        "subjects": list(ido.subjects),
        "cancels_ido_id": ido.cancels_ido_id,
    }
