"""Domain events of the 住民記録, written to ``residents_outbox`` in the 異動's own transaction.

One event per person a 異動 changed (``subject`` = 宛名番号), typed ``jp.lgcloud.residents.<異動>``
(CloudEvents ``type``). The payload carries identifiers and the 異動 data, never the snapshot itself:
a linked system reads the person through the API with its own permission, so the outbox holds no
more personal data than needed.
"""

from __future__ import annotations

from enum import StrEnum

PREFIX = "jp.lgcloud.residents."


class EventType(StrEnum):
    TENNYU = PREFIX + "tennyu"  # 転入 (国内 / 国外)
    SHOKKEN_KISAI = PREFIX + "shokken-kisai"  # 職権記載
    SHUSSEI = PREFIX + "shussei"  # 出生
    TENKYO = PREFIX + "tenkyo"  # 転居
    TENSHUTSU = PREFIX + "tenshutsu"  # 転出 (国内 / 国外, 転出予定)
    TENSHUTSU_KAKUTEI = PREFIX + "tenshutsu-kakutei"  # 転入通知による転出の確定
    SHIBOU = PREFIX + "shibou"  # 死亡
    SHOKKEN_SHOJO = PREFIX + "shokken-shojo"  # 職権消除
    SETAI_BUNRI = PREFIX + "setai-bunri"  # 世帯分離
    SETAI_GAPPEI = PREFIX + "setai-gappei"  # 世帯合併
    SETAI_HENKO = PREFIX + "setai-henko"  # 世帯変更
    SETAINUSHI_HENKO = PREFIX + "setainushi-henko"  # 世帯主変更
    SHUSEI = PREFIX + "shusei"  # 職権修正 / 軽微な修正 / 誤記修正 / 旧氏・通称・番号の記載等 (reason in payload)
    TORIKESHI = PREFIX + "torikeshi"  # 異動の取消し (増 / 減 / 修正)


EVENT_OF_COMMAND: dict[str, EventType] = {
    "move_in": EventType.TENNYU,
    "entry_by_authority": EventType.SHOKKEN_KISAI,
    "birth": EventType.SHUSSEI,
    "move_within": EventType.TENKYO,
    "move_out": EventType.TENSHUTSU,
    "move_out_confirm": EventType.TENSHUTSU_KAKUTEI,
    "death": EventType.SHIBOU,
    "removal_by_authority": EventType.SHOKKEN_SHOJO,
    "household_split": EventType.SETAI_BUNRI,
    "household_merge": EventType.SETAI_GAPPEI,
    "household_change": EventType.SETAI_HENKO,
    "head_change": EventType.SETAINUSHI_HENKO,
    "amend": EventType.SHUSEI,
    "cancel": EventType.TORIKESHI,
}
