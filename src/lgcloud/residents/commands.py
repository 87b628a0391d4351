"""Commands: one per 異動, imperative, validated by pydantic, serialised into the 異動 record.

A command recorded in ``residents_ido.command`` is *resolved*: the service has filled in the numbers it
allocated (宛名番号, 世帯番号), so replaying it reproduces exactly the same rows.

Dates that may be 不詳 or non-calendar (生年月日, 出生/死亡 の異動日 …) are text: ISO ``2020-01-31`` or
和暦 ``令和2年1月31日`` or a 不詳 wording (§2.3); other dates are ``date``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from lgcloud.residents.model import ResidentKind, Sex

Text = Annotated[str, Field(max_length=200)]
OptText = Annotated[str | None, Field(default=None, max_length=200)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Ido(_Model):
    """Items every 異動 carries (§2.7)."""

    ido_date: Text | None = None  # 異動日: blank → today (転出: the 転出予定日)
    todokede_date: date | None = None  # 届出日: blank → today
    notice_date: date | None = None  # 通知日 / 申出日
    note: OptText = None  # 留意事項
    place: OptText = None  # 入力場所 / 端末


class AddressInput(_Model):
    address: Text = Field(min_length=1)
    address_code: OptText = None
    katagaki: OptText = None
    postal_code: OptText = None


class PersonInput(_Model):
    """A person entered by hand (転入, 出生, 職権記載)."""

    kind: ResidentKind = ResidentKind.JAPANESE
    shimei: Text = Field(min_length=1)
    shimei_kana: Text = ""
    shimei_kana_confirmed: bool = False
    alpha_name: OptText = None
    kyushi: OptText = None
    kyushi_kana: OptText = None
    tsusho: OptText = None
    tsusho_kana: OptText = None
    birth_date: Text = Field(min_length=1)
    sex: Sex
    zokugara: Text = Field(min_length=1)
    honseki: OptText = None
    hittosha: OptText = None
    juminhyo_code: OptText = None
    mynumber: OptText = None
    became_resident_on: OptText = None  # blank → 異動日
    nationality: OptText = None
    foreign_status_kind: OptText = None
    residence_status: OptText = None
    period_of_stay: OptText = None
    stay_expires_on: date | None = None
    residence_card_no: OptText = None
    remarks: OptText = None
    #: Filled by the service: a new number, or the former 宛名番号 of a 再転入.
    atena_no: OptText = None
    #: 再転入: the clerk confirmed the detected 除票 (``atena_no`` is then that person's).
    reentry: bool = False
    #: The clerk checked the 氏名・性別・生年月日 alert and confirms a different person.
    confirm_duplicate: bool = False


class _Destination(_Model):
    """異動先世帯: an existing 世帯 (``to_setai_no``) or a new one (the service fills ``new_setai_no``)."""

    to_setai_no: OptText = None
    new_setai_no: OptText = None
    #: 続柄 of each mover in the destination 世帯 (宛名番号 → 続柄).
    zokugara: dict[str, str] = Field(default_factory=dict)


class MoveIn(_Ido, _Destination):
    """転入 (国内転入 / 国外転入等)."""

    kind: Literal["move_in"] = "move_in"
    origin: Literal["domestic", "abroad"] = "domestic"
    persons: list[PersonInput] = Field(min_length=1)
    address: AddressInput
    prev_address: OptText = None
    prev_postal_code: OptText = None


class EntryByAuthority(_Ido, _Destination):
    """職権記載 (住所設定, 未届転入): like 転入, by the municipality's own knowledge."""

    kind: Literal["entry_by_authority"] = "entry_by_authority"
    persons: list[PersonInput] = Field(min_length=1)
    address: AddressInput
    prev_address: OptText = None
    unreported: bool = False  # 未届転入: 転入前住所 gets 「（未届）」


class Birth(_Ido, _Destination):
    """出生 (戸籍届出 based): the child joins a 世帯 (or forms one at ``address``)."""

    kind: Literal["birth"] = "birth"
    person: PersonInput
    address: AddressInput | None = None  # only for a new 世帯


class MoveWithin(_Ido, _Destination):
    """転居 within the municipality.

    A whole 世帯 keeps its 世帯番号; part of one goes to a new or an existing 世帯.
    """

    kind: Literal["move_within"] = "move_within"
    atena_nos: list[str] = Field(min_length=1)
    address: AddressInput


class MoveOut(_Ido):
    """転出 (国内 / 国外): ``ido_date`` is the 転出予定日 and may be in the future."""

    kind: Literal["move_out"] = "move_out"
    destination: Literal["domestic", "abroad"] = "domestic"
    atena_nos: list[str] = Field(min_length=1)
    move_out_to: Text = Field(min_length=1)  # 転出先住所（予定）
    move_out_to_postal_code: OptText = None
    #: 転出先の全国地方公共団体コード, when the clerk names it: the 団体間 handoff then goes there (a member of
    #: the same cloud group) instead of being inferred from the address text.
    move_out_to_lg_code: str | None = Field(default=None, pattern=r"^\d{6}$")


class MoveOutConfirm(_Ido):
    """転入通知 received from the new municipality: 転出 is 消除 at min(転出予定日, 転入日)."""

    kind: Literal["move_out_confirm"] = "move_out_confirm"
    atena_no: Text
    move_in_date: date  # 転入日 in the 転入通知
    confirmed_to: OptText = None  # 転出先住所（確定）


class Death(_Ido):
    """死亡 (戸籍届出 / 通知)."""

    kind: Literal["death"] = "death"
    atena_no: Text


class RemovalByAuthority(_Ido):
    """職権消除 (実態調査で居住の事実なし, 失踪 …)."""

    kind: Literal["removal_by_authority"] = "removal_by_authority"
    atena_nos: list[str] = Field(min_length=1)


class HouseholdSplit(_Ido):
    """世帯分離: members leave their 世帯 and form a new one at the same address."""

    kind: Literal["household_split"] = "household_split"
    atena_nos: list[str] = Field(min_length=1)
    new_setai_no: OptText = None
    zokugara: dict[str, str] = Field(default_factory=dict)


class HouseholdMerge(_Ido):
    """世帯合併: a whole 世帯 joins another one."""

    kind: Literal["household_merge"] = "household_merge"
    from_setai_no: Text
    to_setai_no: Text
    zokugara: dict[str, str] = Field(default_factory=dict)


class HouseholdChange(_Ido):
    """世帯変更: members move from their 世帯 into another existing 世帯."""

    kind: Literal["household_change"] = "household_change"
    atena_nos: list[str] = Field(min_length=1)
    to_setai_no: Text
    zokugara: dict[str, str] = Field(default_factory=dict)


class HeadChange(_Ido):
    """世帯主変更: a new 世帯主 and the 続柄 of every other member to them."""

    kind: Literal["head_change"] = "head_change"
    setai_no: Text
    new_head: Text
    zokugara: dict[str, str] = Field(default_factory=dict)


AmendReason = Literal[
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
]


class Amend(_Ido):
    """修正 of items of one person: 職権修正, 軽微な修正, 誤記修正 (appends a correcting row), 旧氏, 通称 …"""

    kind: Literal["amend"] = "amend"
    reason: AmendReason = "職権修正"
    atena_no: Text
    changes: dict[str, str | bool | None] = Field(min_length=1)
    corrects_rireki_no: int | None = None  # 誤記修正: the erroneous row (kept)


class Cancel(_Ido):
    """異動の取消し: a new 異動 restoring the state before the cancelled one (増 / 減 / 修正 by its class)."""

    kind: Literal["cancel"] = "cancel"
    target_ido_id: int


Command = Annotated[
    MoveIn
    | EntryByAuthority
    | Birth
    | MoveWithin
    | MoveOut
    | MoveOutConfirm
    | Death
    | RemovalByAuthority
    | HouseholdSplit
    | HouseholdMerge
    | HouseholdChange
    | HeadChange
    | Amend
    | Cancel,
    Field(discriminator="kind"),
]


class _CommandBox(_Model):
    command: Command


def parse_command(data: dict[str, object]) -> Command:
    """A command from its recorded JSON (``kind`` selects the class)."""
    return _CommandBox.model_validate({"command": data}).command
