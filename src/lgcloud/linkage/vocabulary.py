"""A resident snapshot in the IMI コア語彙 / GIF vocabulary (standards.md §6): the ``data`` of an event.

Pure: takes the residents' domain objects, returns JSON-ready dicts. Text is passed through exactly as
stored (MJ-compatible Unicode, IVS kept, never normalised). Dates are IMI 日付型: ``標準型日付`` (ISO)
always when known, ``表記`` only when the date is non-calendar or 不詳 (§2.3), as the registry holds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from lgcloud.residents.model import SEX_LABELS, FlexDate, Ido, Person, ResidentKind, Row

KIND_LABELS = {ResidentKind.JAPANESE: "日本人住民", ResidentKind.FOREIGN: "外国人住民"}
_FIRST_DIGIT = re.compile(r"[0-9０-９]")


@dataclass(frozen=True)
class Municipality:
    lg_code: str  # 全国地方公共団体コード (6 digits with check digit)
    prefecture: str
    name: str


def flex_date(value: FlexDate | None) -> dict[str, Any] | None:
    if value is None or (value.value is None and value.text is None):
        return None
    return {"@type": "日付型", "標準型日付": value.iso(), "表記": value.text}


def plain_date(value: date | None) -> dict[str, Any] | None:
    return None if value is None else {"@type": "日付型", "標準型日付": value.isoformat(), "表記": None}


def split_address(text: str) -> tuple[str, str | None]:
    """(町字, 番地以下): split before the first digit (丁目 in kanji stays in 町字). Heuristic."""
    match = _FIRST_DIGIT.search(text)
    if match is None or match.start() == 0:
        return text, None
    return text[: match.start()], text[match.start() :]


def address(
    text: str | None,
    m: Municipality,
    *,
    katagaki: str | None = None,
    postal: str | None = None,
    code: str | None = None,
) -> dict[str, Any] | None:
    """GIF 住所: the registry keeps 町字・番地; 都道府県・市区町村 come from the municipality."""
    if not text:
        return None
    machi, banchi = split_address(text)
    return {
        "@type": "住所型",
        "表記": f"{m.prefecture}{m.name}{text}",
        "全国地方公共団体コード": m.lg_code,
        "都道府県": m.prefecture,
        "市区町村": m.name,
        "町字": machi,
        "番地以下": banchi,
        "方書": katagaki,
        "郵便番号": postal,
        "住所コード": code,
    }


def _name(text: str | None, kana: str | None, confirmed: bool) -> dict[str, Any] | None:
    if not text:
        return None
    return {"@type": "氏名型", "表記": text, "カナ表記": kana, "カナ確認済み": confirmed}


def full_name(p: Person) -> dict[str, Any]:
    return {
        "@type": "氏名型",
        "姓名": p.shimei,
        "姓": p.sei,
        "名": p.mei,
        "姓名カナ表記": p.shimei_kana or None,
        "カナ確認済み": p.shimei_kana_confirmed,
        "姓名ローマ字表記": p.alpha_name,
    }


def removal(p: Person) -> dict[str, Any] | None:
    if p.removal_reason is None and p.removed_on is None:
        return None
    return {
        "消除事由": p.removal_reason,
        "消除日": flex_date(p.removed_on),
        "転出予定年月日": plain_date(p.move_out_planned_on),
        "転出先住所（予定）": p.move_out_to,
        "転出先郵便番号": p.move_out_to_postal_code,
        "転出先住所（確定）": p.move_out_confirmed_to,
        "転出年月日": plain_date(p.move_out_on),
        "転入通知年月日": plain_date(p.move_in_notice_on),
    }


def foreign(p: Person) -> dict[str, Any] | None:
    if p.kind is not ResidentKind.FOREIGN:
        return None
    return {
        "国籍・地域": p.nationality,
        "30条45区分": p.foreign_status_kind,
        "在留資格": p.residence_status,
        "在留期間": p.period_of_stay,
        "在留期間の満了の日": plain_date(p.stay_expires_on),
        "在留カード等番号": p.residence_card_no,
        "外国人住民となった年月日": flex_date(p.became_foreign_resident_on),
    }


def other_services(p: Person) -> dict[str, Any]:
    return {
        "選挙人名簿登録": p.elector,
        "国民健康保険": p.kokuho,
        "後期高齢者医療": p.kouki,
        "介護保険": p.kaigo,
        "基礎年金番号": p.pension_no,
        "国民年金種別": p.pension_kind,
        "児童手当受給開始年月": p.child_allowance_from,
        "成年被後見人": p.adult_guardianship,
    }


def person(row: Row, m: Municipality, *, include_mynumber: bool = False) -> dict[str, Any]:
    """人型 for one history row (the snapshot the event refers to)."""
    p = row.person
    data: dict[str, Any] = {
        "@type": "人型",
        "宛名番号": p.atena_no,
        "世帯番号": p.setai_no,
        "履歴番号": row.rireki_no,
        "住民状態": p.status.value,
        "住民種別": KIND_LABELS[p.kind],
        "氏名": full_name(p),
        "旧氏": _name(p.kyushi, p.kyushi_kana, p.kyushi_kana_confirmed),
        "通称": _name(p.tsusho, p.tsusho_kana, p.tsusho_kana_confirmed),
        "性別": SEX_LABELS[p.sex],
        "性別コード": p.sex.value,
        "生年月日": flex_date(p.birth_date),
        "世帯主氏名": p.head_name or None,
        "続柄": p.zokugara,
        "世帯内順位": p.household_order,
        "本籍": p.honseki,
        "筆頭者": p.hittosha,
        "住所": address(p.address, m, katagaki=p.katagaki, postal=p.postal_code, code=p.address_code),
        "住民となった年月日": flex_date(p.became_resident_on),
        "住所を定めた年月日": flex_date(p.address_set_on),
        "届出年月日": plain_date(p.notified_on),
        "転入前住所": p.prev_address,
        "住民票コード": p.juminhyo_code,
        "他業務": other_services(p),
        "除票": removal(p),
        "外国人住民": foreign(p),
        "備考": p.remarks,
    }
    if include_mynumber:
        data["個人番号"] = p.mynumber
    return data


def ido(record: Ido | None, payload: dict[str, Any], subject: str) -> dict[str, Any]:
    """The 異動 an event belongs to. ``本人異動`` is false for a 世帯員 rewritten only as a consequence."""
    return {
        "異動番号": payload.get("ido_id"),
        "異動事由": payload.get("reason"),
        "異動事由区分": payload.get("reason_class"),
        "異動日": {"@type": "日付型", "標準型日付": payload.get("ido_date"), "表記": payload.get("ido_date_text")},
        "処理日": payload.get("shori_date"),
        "届出日": record.todokede_date.isoformat() if record and record.todokede_date else None,
        "取消対象異動番号": payload.get("cancels_ido_id"),
        "本人異動": subject in record.subjects if record else True,
    }
