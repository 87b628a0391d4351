"""The 住民記録 domain: a person's full snapshot, the 異動 record, 住民状態. Pure: no DB, no web.

A person is kept as a sequence of *full snapshots* keyed (宛名番号, 履歴番号) (標準仕様書 §2.7): every
異動 appends one new row holding all items, changed or not. ``Person`` is one such snapshot, and
``Row`` adds its key and time data (履歴番号, the 異動 that wrote it, the date it takes effect).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class ResidentKind(StrEnum):
    JAPANESE = "1"  # 日本人住民
    FOREIGN = "2"  # 外国人住民


class Status(StrEnum):
    """住民状態."""

    RESIDENT = "住民"
    MOVED_OUT = "転出"
    DECEASED = "死亡"
    REMOVED = "消除"


class Sex(StrEnum):
    MALE = "1"
    FEMALE = "2"


SEX_LABELS = {Sex.MALE: "男", Sex.FEMALE: "女"}

HEAD = "世帯主"


@dataclass(frozen=True)
class FlexDate:
    """A 年月日 that may be non-calendar or 不詳 (§2.3): a best-effort ISO value plus the text as written.

    ``text`` is None for an exact calendar date; otherwise it holds the 戸籍 wording (e.g.
    「令和元年頃」, 「昭和40年2月29日」) and ``value`` the internal date used for sorting and search.
    """

    value: date | None
    text: str | None = None

    @property
    def is_exact(self) -> bool:
        return self.text is None and self.value is not None

    def iso(self) -> str | None:
        return self.value.isoformat() if self.value else None


@dataclass(frozen=True)
class Person:
    """One full snapshot of a resident (管理項目 of §2.2, 日本人 and 外国人)."""

    atena_no: str  # 宛名番号
    setai_no: str  # 世帯番号
    kind: ResidentKind
    status: Status = Status.RESIDENT
    # 氏名
    shimei: str = ""  # 氏名 (全角, 氏と名の間に全角空白). Stored as entered: IVS kept, never normalised.
    shimei_kana: str = ""  # 氏名フリガナ (カタカナ)
    shimei_kana_confirmed: bool = False  # フリガナ確認フラグ
    alpha_name: str | None = None  # 氏名（アルファベット） 外国人
    kyushi: str | None = None  # 旧氏
    kyushi_kana: str | None = None
    kyushi_kana_confirmed: bool = False
    tsusho: str | None = None  # 通称 外国人
    tsusho_kana: str | None = None
    tsusho_kana_confirmed: bool = False
    tsusho_recorded_on: date | None = None  # 通称の記載年月日
    tsusho_deleted_on: date | None = None  # 通称の削除年月日
    # 属性
    birth_date: FlexDate = FlexDate(None)  # 生年月日: 日本人 和暦, 外国人 西暦 (display)
    sex: Sex = Sex.MALE
    zokugara: str = HEAD  # 世帯主との続柄
    head_name: str = ""  # 世帯主の氏名
    household_order: int = 1  # 世帯員の並び順
    honseki: str | None = None  # 本籍 (日本人); 「なし」「不明」 allowed
    hittosha: str | None = None  # 筆頭者
    # 住所
    address: str = ""  # 住所 (町字・番地)
    address_code: str | None = None  # 住所コード (町字コード)
    katagaki: str | None = None  # 方書
    postal_code: str | None = None  # 郵便番号
    became_resident_on: FlexDate = FlexDate(None)  # 住民となった年月日
    address_set_on: FlexDate = FlexDate(None)  # 住所を定めた年月日
    notified_on: date | None = None  # 届出の年月日
    prev_address: str | None = None  # 転入前住所 (国外を含む)
    prev_postal_code: str | None = None
    # 番号
    juminhyo_code: str | None = None  # 住民票コード
    mynumber: str | None = None  # 個人番号 (特定個人情報)
    # 他業務の資格
    elector: bool = False  # 選挙人名簿登録の有無
    kokuho: bool = False  # 国保被保険者
    kouki: bool = False  # 後期高齢者医療
    kaigo: bool = False  # 介護保険
    pension_no: str | None = None  # 基礎年金番号
    pension_kind: str | None = None  # 国民年金の種別
    child_allowance_from: str | None = None  # 児童手当 受給開始年月 (YYYY-MM)
    adult_guardianship: bool = False  # 成年被後見人の該当有無
    # 除票 (転出・死亡・消除)
    removal_reason: str | None = None  # 消除事由
    move_out_planned_on: date | None = None  # 転出予定年月日
    move_out_to: str | None = None  # 転出先住所（予定）
    move_out_to_postal_code: str | None = None
    move_out_confirmed_to: str | None = None  # 転出先住所（確定）
    move_out_on: date | None = None  # 転出年月日（確定）
    move_in_notice_on: date | None = None  # 転入通知年月日
    removed_on: FlexDate | None = None  # 消除の異動日 (事由の生じた年月日)
    # 外国人住民 (法30条の45)
    nationality: str | None = None  # 国籍・地域
    foreign_status_kind: str | None = (
        None  # 30条45区分: 中長期在留者 / 特別永住者 / 一時庇護許可者 / 仮滞在者 / 経過滞在者
    )
    residence_status: str | None = None  # 在留資格
    period_of_stay: str | None = None  # 在留期間
    stay_expires_on: date | None = None  # 在留期間の満了の日 (西暦)
    residence_card_no: str | None = None  # 在留カード番号 / 特別永住者証明書番号
    became_foreign_resident_on: FlexDate | None = None  # 外国人住民となった年月日
    remarks: str | None = None  # 備考 (C類型)

    def replace(self, **changes: Any) -> Person:
        return dataclasses.replace(self, **changes)

    @property
    def is_head(self) -> bool:
        return self.zokugara == HEAD

    @property
    def is_resident(self) -> bool:
        return self.status is Status.RESIDENT

    @property
    def sei(self) -> str:
        return split_name(self.shimei)[0]

    @property
    def mei(self) -> str:
        return split_name(self.shimei)[1]


def split_name(name: str) -> tuple[str, str]:
    """(氏, 名) split on the first full- or half-width space; no space → all in 氏."""
    for i, ch in enumerate(name):
        if ch in " \u3000":
            return name[:i], name[i + 1 :].strip(" \u3000")
    return name, ""


PERSON_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Person))
FLEX_DATE_FIELDS = frozenset(
    {"birth_date", "became_resident_on", "address_set_on", "removed_on", "became_foreign_resident_on"}
)


@dataclass(frozen=True)
class Row:
    """A history row: one snapshot with its key (宛名番号, 履歴番号) and time data."""

    person: Person
    rireki_no: int  # 履歴番号, from 1
    ido_id: int  # the 異動 that wrote it
    valid_from: date  # the date it takes effect (異動日)

    @property
    def atena_no(self) -> str:
        return self.person.atena_no


class IdoClass(StrEnum):
    """異動事由 classes of §2.8."""

    ENTRY = "記載"
    REMOVAL = "消除"
    AMENDMENT = "修正"


@dataclass(frozen=True)
class Ido:
    """The 異動 record (§2.7): who moved, why, when, who entered it and where.

    ``command`` is the resolved input (with the numbers the service allocated), so replaying the
    records in order with :func:`lgcloud.residents.handlers.plan` rebuilds the same history.
    """

    ido_id: int
    kind: str  # command kind, e.g. "move_in"
    reason: str  # 異動事由, e.g. 国内転入
    reason_class: IdoClass
    ido_date: FlexDate  # 異動日
    shori_date: date  # 処理日 = today, never entered
    todokede_date: date | None = None  # 届出日 (届出 only)
    notice_date: date | None = None  # 通知日 / 申出日
    actor: str = ""  # 入力者 (user id)
    place: str | None = None  # 入力場所 / 端末
    note: str | None = None  # 留意事項
    subjects: tuple[str, ...] = ()  # 異動者 (宛名番号)
    command: dict[str, Any] = field(default_factory=dict)
    cancels_ido_id: int | None = None
