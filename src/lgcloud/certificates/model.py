"""Certificate values (pure): types, options, the subject (one person as printed), the composed document.

The composed :class:`Document` is exactly what is printed: it is stored with every 交付履歴 row as
the rendering input, so a reissue or a verification works from what was issued, not from today's
registry.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class CertType(StrEnum):
    JUMINHYO = "juminhyo"  # 住民票の写し（個人票）
    JUMINHYO_SETAI = "juminhyo_setai"  # 住民票の写し（世帯連記式）
    JOHYO = "johyo"  # 住民票の除票の写し
    KISAI_JIKO = "kisai_jiko"  # 住民票記載事項証明書
    TENSHUTSU = "tenshutsu"  # 転出証明書


CERT_TITLES = {
    CertType.JUMINHYO: "住民票の写し",
    CertType.JUMINHYO_SETAI: "住民票の写し",
    CertType.JOHYO: "住民票の除票の写し",
    CertType.KISAI_JIKO: "住民票記載事項証明書",
    CertType.TENSHUTSU: "転出証明書",
}

CERT_LABELS = {
    CertType.JUMINHYO: "住民票の写し（個人票）",
    CertType.JUMINHYO_SETAI: "住民票の写し（世帯連記式）",
    CertType.JOHYO: "住民票の除票の写し",
    CertType.KISAI_JIKO: "住民票記載事項証明書",
    CertType.TENSHUTSU: "転出証明書",
}

ATTESTATIONS = {
    CertType.JUMINHYO: "この写しは、住民票の原本と相違ないことを証明する。",
    CertType.JUMINHYO_SETAI: "この写しは、世帯全員（または請求のあった世帯員）の住民票の原本と相違ないことを証明する。",
    CertType.JOHYO: "この写しは、住民票の除票の原本と相違ないことを証明する。",
    CertType.KISAI_JIKO: "上記の事項は、住民票に記載されている事項と相違ないことを証明する。",
    CertType.TENSHUTSU: "上記の者は、転出の届出をしたことを証明する。",
}


class Overflow(StrEnum):
    """文字溢れ after shrinking to the smallest size (§2.11 5.8): print as far as it fits, or leave blank."""

    TRUNCATE = "truncate"
    BLANK = "blank"


@dataclass(frozen=True)
class CertificateOptions:
    """Options of §2.11. Everything that may be omitted is omitted unless requested."""

    members: tuple[str, ...] | None = None  # 世帯連記式: None = 世帯全員, else the chosen 宛名番号
    with_history: bool = False
    include_head_relation: bool = False  # 世帯主・続柄
    include_honseki: bool = False  # 本籍・筆頭者
    include_juminhyo_code: bool = False  # 住民票コード
    include_mynumber: bool = False  # 個人番号 (also needs the permission)
    include_foreign_items: bool = False  # 国籍・地域, 30条45区分, 在留資格, 在留期間, 満了日, 在留カード等番号
    include_tsusho_history: bool = False  # 通称の記載・削除
    include_kana: bool = False  # フリガナ (optional on certificates, 5.3)
    omit_katagaki: bool = False  # 方書 is printed unless its omission is requested (5.4)
    items: tuple[str, ...] = ()  # 記載事項証明書: the items to certify (keys of ITEM_LABELS)
    overflow: Overflow = Overflow.TRUNCATE
    purpose: str = ""  # 使用目的 (交付履歴)
    requester: str = ""  # 請求者 (交付履歴)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["members"] = list(self.members) if self.members is not None else None
        data["items"] = list(self.items)
        data["overflow"] = self.overflow.value
        return data


@dataclass(frozen=True)
class HistoryEntry:
    date_text: str  # 和暦
    reason: str  # 異動事由
    detail: str = ""  # the address or item as it was


@dataclass(frozen=True)
class CertificateSubject:
    """One person as a certificate prints them; dates are already display text (和暦 / 西暦)."""

    atena_no: str
    setai_no: str
    shimei: str
    foreign: bool = False
    status: str = "住民"
    shimei_kana: str = ""
    alpha_name: str = ""
    kyushi: str = ""
    tsusho: str = ""
    birth: str = ""
    birth_iso: str = ""  # for the 世帯員の並び順
    sex: str = ""
    zokugara: str = ""
    head_name: str = ""
    household_order: int | None = None
    honseki: str = ""
    hittosha: str = ""
    address: str = ""
    katagaki: str = ""
    became_resident_on: str = ""
    address_set_on: str = ""
    notified_on: str = ""
    prev_address: str = ""
    juminhyo_code: str = ""
    mynumber: str = ""
    removal_reason: str = ""
    removed_on: str = ""
    move_out_planned_on: date | None = None
    move_out_planned_text: str = ""
    move_out_to: str = ""
    nationality: str = ""
    foreign_status_kind: str = ""
    residence_status: str = ""
    period_of_stay: str = ""
    stay_expires_on: str = ""  # 西暦
    residence_card_no: str = ""
    became_foreign_resident_on: str = ""
    tsusho_recorded_on: str = ""
    tsusho_deleted_on: str = ""
    history: tuple[HistoryEntry, ...] = ()


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    value: str


@dataclass(frozen=True)
class Block:
    """One person's part of the certificate."""

    atena_no: str
    fields: tuple[Field, ...]
    history: tuple[HistoryEntry, ...] = ()


@dataclass(frozen=True)
class Document:
    cert_type: CertType
    title: str
    subtitle: str
    municipality: str  # 鯖江市
    issuer: str  # 福井県鯖江市長
    issued_on: str  # ISO
    issued_on_text: str  # 和暦
    header: tuple[Field, ...]
    blocks: tuple[Block, ...]
    attestation: str
    items: tuple[str, ...]  # labels printed (交付履歴: 記載事項)
    subjects: tuple[str, ...]  # 宛名番号, in printed order
    reissue: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return _plain(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Document:
        def fields(items: list[dict[str, Any]]) -> tuple[Field, ...]:
            return tuple(Field(**f) for f in items)

        return cls(
            cert_type=CertType(data["cert_type"]),
            title=data["title"],
            subtitle=data["subtitle"],
            municipality=data["municipality"],
            issuer=data["issuer"],
            issued_on=data["issued_on"],
            issued_on_text=data["issued_on_text"],
            header=fields(data["header"]),
            blocks=tuple(
                Block(b["atena_no"], fields(b["fields"]), tuple(HistoryEntry(**h) for h in b["history"]))
                for b in data["blocks"]
            ),
            attestation=data["attestation"],
            items=tuple(data["items"]),
            subjects=tuple(data["subjects"]),
            reissue=bool(data.get("reissue")),
            notes=tuple(data.get("notes") or ()),
        )

    def texts(self) -> list[tuple[str, str]]:
        """Every (where, text) the certificate prints, for the glyph check."""
        found = [("表題", self.title), ("表題", self.subtitle), ("発行者", self.issuer), ("認証文", self.attestation)]
        found += [(f.label, f.value) for f in self.header]
        for block in self.blocks:
            found += [(f"{block.atena_no} {f.label}", f.value) for f in block.fields]
            found += [(f"{block.atena_no} 履歴", f"{h.date_text}{h.reason}{h.detail}") for h in block.history]
        return found


def _plain(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
