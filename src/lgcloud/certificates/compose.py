"""Compose a certificate from subjects and options (pure): which items, in which order, with which wording.

Rules (standards.md §2.11): 世帯連記式 members in 世帯員の並び順 (5.2); 世帯主・続柄, 本籍・筆頭者,
住民票コード, 個人番号 and the foreign-resident items are omitted unless requested; 方書 is printed unless
its omission is requested; フリガナ in brackets after the name when requested (5.3); before the
転出予定日 the 転出 entries are not printed; 認証文 and 発行者 close the document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from lgcloud.certificates.model import (
    ATTESTATIONS,
    CERT_TITLES,
    Block,
    CertificateOptions,
    CertificateSubject,
    CertType,
    Document,
    Field,
)
from lgcloud.codes.eras import to_wareki
from lgcloud.codes.zokugara import household_sort_key
from lgcloud.errors import LgcloudError

ITEM_LABELS: dict[str, str] = {
    "shimei": "氏名",
    "alpha_name": "氏名（アルファベット）",
    "kyushi": "旧氏",
    "tsusho": "通称",
    "birth": "生年月日",
    "sex": "性別",
    "head_name": "世帯主",
    "zokugara": "続柄",
    "honseki": "本籍",
    "hittosha": "筆頭者",
    "address": "住所",
    "katagaki": "方書",
    "became_resident_on": "住民となった年月日",
    "became_foreign_resident_on": "外国人住民となった年月日",
    "address_set_on": "住所を定めた年月日",
    "notified_on": "届出日",
    "prev_address": "転入前住所",
    "juminhyo_code": "住民票コード",
    "mynumber": "個人番号",
    "nationality": "国籍・地域",
    "foreign_status_kind": "法第30条の45に規定する区分",
    "residence_status": "在留資格",
    "period_of_stay": "在留期間",
    "stay_expires_on": "在留期間の満了の日",
    "residence_card_no": "在留カード等の番号",
    "tsusho_recorded_on": "通称の記載年月日",
    "tsusho_deleted_on": "通称の削除年月日",
    "removal_reason": "消除事由",
    "removed_on": "消除年月日",
    "move_out_planned_on": "転出予定年月日",
    "move_out_to": "転出先住所",
}

FOREIGN_ITEMS = (
    "nationality",
    "foreign_status_kind",
    "residence_status",
    "period_of_stay",
    "stay_expires_on",
    "residence_card_no",
)
TSUSHO_HISTORY_ITEMS = ("tsusho_recorded_on", "tsusho_deleted_on")
REMOVED_STATUSES = ("転出", "死亡", "消除")


class CertificateError(LgcloudError):
    status = 422
    code = "certificate-invalid"


def order_members(subjects: Sequence[CertificateSubject]) -> list[CertificateSubject]:
    """世帯員の並び順 (5.2) from 続柄 and 生年月日; 宛名番号 breaks ties."""
    return sorted(subjects, key=lambda s: household_sort_key(s.zokugara or "同居人", s.birth_iso or None, s.atena_no))


def name_text(subject: CertificateSubject, options: CertificateOptions) -> str:
    if options.include_kana and subject.shimei_kana:
        return f"{subject.shimei}　（{subject.shimei_kana}）"
    return subject.shimei


def moved_out_effective(subject: CertificateSubject, issued_on: date) -> bool:
    """A 転出 takes effect on its 転出予定日; before it the person is still printed as a 住民."""
    if subject.status != "転出":
        return subject.status in REMOVED_STATUSES
    return subject.move_out_planned_on is None or subject.move_out_planned_on <= issued_on


def _keys(
    cert_type: CertType, subject: CertificateSubject, options: CertificateOptions, in_block_address: bool
) -> list[str]:
    keys = ["shimei"]
    keys += ["alpha_name"] if subject.foreign else []
    keys += ["kyushi", "tsusho", "birth", "sex"]
    if options.include_head_relation or cert_type is CertType.TENSHUTSU:
        keys += ["head_name", "zokugara"] if in_block_address else ["zokugara"]
    if (options.include_honseki or cert_type is CertType.TENSHUTSU) and not subject.foreign:
        keys += ["honseki", "hittosha"]
    if in_block_address:
        keys += ["address"] + ([] if options.omit_katagaki else ["katagaki"])
    keys += ["became_foreign_resident_on" if subject.foreign else "became_resident_on", "address_set_on"]
    keys += ["notified_on", "prev_address"]
    if options.include_juminhyo_code or cert_type is CertType.TENSHUTSU:
        keys.append("juminhyo_code")
    if options.include_mynumber:
        keys.append("mynumber")
    if subject.foreign and options.include_foreign_items:
        keys += list(FOREIGN_ITEMS)
    if subject.foreign and options.include_tsusho_history:
        keys += list(TSUSHO_HISTORY_ITEMS)
    return keys


def _removal_keys(cert_type: CertType) -> list[str]:
    if cert_type is CertType.JOHYO:
        return ["removal_reason", "removed_on", "move_out_to"]
    if cert_type is CertType.TENSHUTSU:
        return ["move_out_planned_on", "move_out_to"]
    return []


def full_address(address: str, prefecture: str, municipality: str) -> str:
    """住所 as printed: with 都道府県 and 市区町村 when the registry keeps only 町字・番地."""
    if not address or address.startswith(prefecture) or address.startswith(municipality):
        return address
    return f"{prefecture}{municipality}{address}"


def _value(subject: CertificateSubject, key: str) -> str:
    if key == "move_out_planned_on":
        return subject.move_out_planned_text
    return str(getattr(subject, key) or "")


def _fields(subject: CertificateSubject, keys: Sequence[str], options: CertificateOptions) -> tuple[Field, ...]:
    fields = []
    for key in keys:
        value = name_text(subject, options) if key == "shimei" else _value(subject, key)
        if value or key in ("shimei", "birth", "address", "mynumber", "juminhyo_code"):
            fields.append(Field(key, ITEM_LABELS[key], value))
    return tuple(fields)


def _check(cert_type: CertType, subjects: Sequence[CertificateSubject], options: CertificateOptions, on: date) -> None:
    if not subjects:
        raise CertificateError("証明書の対象者を選んでください", code="certificate-no-subject")
    for s in subjects:
        removed = moved_out_effective(s, on)
        if cert_type is CertType.JOHYO and not removed:
            raise CertificateError(f"宛名番号 {s.atena_no} は除票ではありません", code="certificate-not-removed")
        if cert_type in (CertType.JUMINHYO, CertType.JUMINHYO_SETAI, CertType.KISAI_JIKO) and removed:
            raise CertificateError(
                f"宛名番号 {s.atena_no} は消除されています。住民票の除票の写しを選んでください",
                code="certificate-removed",
            )
        if cert_type is CertType.TENSHUTSU and (s.status != "転出" or not s.move_out_to):
            raise CertificateError(f"宛名番号 {s.atena_no} には転出の届出がありません", code="certificate-no-move-out")
    if cert_type is CertType.JUMINHYO_SETAI and len({s.setai_no for s in subjects}) != 1:
        raise CertificateError("世帯連記式は同じ世帯の世帯員だけを記載できます", code="certificate-mixed-households")
    unknown = [i for i in options.items if i not in ITEM_LABELS]
    if unknown:
        raise CertificateError(f"記載事項 {', '.join(unknown)} はありません", code="certificate-bad-item")
    if cert_type is CertType.KISAI_JIKO and not options.items:
        raise CertificateError("証明する記載事項を選んでください", code="certificate-no-items")


def _block(cert_type: CertType, s: CertificateSubject, options: CertificateOptions, in_block_address: bool) -> Block:
    if cert_type is CertType.KISAI_JIKO:
        keys = ["shimei", *[k for k in options.items if k != "shimei"]]
    else:
        keys = _keys(cert_type, s, options, in_block_address) + _removal_keys(cert_type)
    return Block(s.atena_no, _fields(s, keys, options), s.history if options.with_history else ())


def _header(
    cert_type: CertType, subjects: Sequence[CertificateSubject], options: CertificateOptions
) -> tuple[Field, ...]:
    if cert_type is not CertType.JUMINHYO_SETAI:
        return ()
    first = subjects[0]
    header = [Field("address", "住所", first.address)]
    if first.katagaki and not options.omit_katagaki:
        header.append(Field("katagaki", "方書", first.katagaki))
    if options.include_head_relation:
        header.append(Field("head_name", "世帯主", first.head_name))
    return tuple(header)


def compose(
    cert_type: CertType,
    subjects: Sequence[CertificateSubject],
    options: CertificateOptions,
    *,
    issued_on: date,
    municipality: str,
    prefecture: str,
    reissue: bool = False,
) -> Document:
    _check(cert_type, subjects, options, issued_on)
    ordered = order_members(subjects) if cert_type is CertType.JUMINHYO_SETAI else list(subjects)
    ordered = [replace(s, address=full_address(s.address, prefecture, municipality)) for s in ordered]
    in_block_address = cert_type is not CertType.JUMINHYO_SETAI
    blocks = tuple(_block(cert_type, s, options, in_block_address) for s in ordered)
    header = _header(cert_type, ordered, options)
    labels = [f.label for f in header] + [f.label for b in blocks for f in b.fields]
    if options.with_history and any(b.history for b in blocks):
        labels.append("異動履歴")
    subtitle = {CertType.JUMINHYO_SETAI: "世帯連記式", CertType.JUMINHYO: "個人票"}.get(cert_type, "")
    return Document(
        cert_type=cert_type,
        title=CERT_TITLES[cert_type],
        subtitle=subtitle,
        municipality=municipality,
        issuer=f"{prefecture}{municipality}長",
        issued_on=issued_on.isoformat(),
        issued_on_text=to_wareki(issued_on),
        header=header,
        blocks=blocks,
        attestation=ATTESTATIONS[cert_type],
        items=tuple(dict.fromkeys(labels)),
        subjects=tuple(s.atena_no for s in ordered),
        reissue=reissue,
        notes=("以下余白",),
    )
