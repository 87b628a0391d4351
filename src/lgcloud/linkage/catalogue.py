"""The event catalogue: every CloudEvents ``type`` lgcloud publishes, with its meaning and 異動事由.

The types are the residents' domain events (:mod:`lgcloud.residents.events`); this table adds what a
linked system needs to know about each. ``docs/linkage/events.md`` and the JSON Schemas are generated
from it, and a test keeps it complete.
"""

from __future__ import annotations

from dataclasses import dataclass

from lgcloud.residents.events import EventType

CANCEL_REASONS = ("異動の取消し（増）", "異動の取消し（減）", "異動の取消し（修正）")
AMEND_REASONS = (
    "職権修正",
    "軽微な修正",
    "誤記修正",
    "個人番号の職権記載",
    "個人番号の職権修正",
    "住民票コードの職権記載",
    "旧氏の記載",
    "旧氏の変更",
    "旧氏の削除",
    "通称の記載",
    "通称の削除",
)


PROTECTION_PREFIX = "jp.lgcloud.protection."


class ProtectionEventType:
    """抑止 / 支援措置 changes told to other systems (§2.10, j420). A 一時解除 is never an event."""

    YOKUSHI_SETTEI = PROTECTION_PREFIX + "yokushi-settei"  # 抑止の設定
    YOKUSHI_KAIJO = PROTECTION_PREFIX + "yokushi-kaijo"  # 抑止の解除
    SHIEN_KAISHI = PROTECTION_PREFIX + "shien-kaishi"  # 支援措置（仮支援措置を含む）の開始・延長
    SHIEN_SHURYO = PROTECTION_PREFIX + "shien-shuryo"  # 支援措置の終了


@dataclass(frozen=True)
class EventKind:
    type: str  # CloudEvents type
    title: str  # 日本語の名称
    reasons: tuple[str, ...]  # 異動事由 it may carry (§2.8); empty for protection events
    description: str

    @property
    def family(self) -> str:
        return "protection" if self.type.startswith(PROTECTION_PREFIX) else "residents"


CATALOGUE: tuple[EventKind, ...] = (
    EventKind(EventType.TENNYU, "転入", ("国内転入", "国外転入等"), "他市区町村・国外からの転入で住民票が記載された。"),
    EventKind(EventType.SHOKKEN_KISAI, "職権記載", ("職権記載",), "職権で住民票が記載された（未届転入等）。"),
    EventKind(EventType.SHUSSEI, "出生", ("出生",), "出生により住民票が記載された。"),
    EventKind(EventType.TENKYO, "転居", ("転居",), "市区町村内で住所が変わった。"),
    EventKind(
        EventType.TENSHUTSU,
        "転出",
        ("国内転出", "国外転出"),
        "転出届を受理した。異動日は転出予定日で、未来日のことがある。除票は転入通知で確定する。",
    ),
    EventKind(
        EventType.TENSHUTSU_KAKUTEI,
        "転出確定",
        ("国内転出", "国外転出"),
        "転入先からの転入通知により転出が確定した（除票の消除日・転出先住所（確定））。",
    ),
    EventKind(EventType.SHIBOU, "死亡", ("死亡",), "死亡により住民票が消除された。"),
    EventKind(EventType.SHOKKEN_SHOJO, "職権消除", ("職権消除",), "実態調査等により職権で住民票が消除された。"),
    EventKind(EventType.SETAI_BUNRI, "世帯分離", ("世帯分離",), "世帯員が新しい世帯を作った。"),
    EventKind(EventType.SETAI_GAPPEI, "世帯合併", ("世帯合併",), "世帯が別の世帯に合併した。"),
    EventKind(EventType.SETAI_HENKO, "世帯変更", ("世帯変更",), "世帯員が既存の別世帯に移った。"),
    EventKind(EventType.SETAINUSHI_HENKO, "世帯主変更", ("世帯主変更",), "世帯主が変わり、続柄が改められた。"),
    EventKind(
        EventType.SHUSEI,
        "修正",
        AMEND_REASONS,
        "記載事項の修正（職権修正・軽微な修正・誤記修正・旧氏・通称・番号の記載等）。異動事由で区別する。",
    ),
    EventKind(
        EventType.TORIKESHI,
        "異動の取消し",
        CANCEL_REASONS,
        "先の異動を取り消し、その前の状態に戻した（取消対象異動番号を参照）。",
    ),
    EventKind(ProtectionEventType.YOKUSHI_SETTEI, "抑止設定", (), "抑止が設定された（処理・レベルは data.抑止）。"),
    EventKind(ProtectionEventType.YOKUSHI_KAIJO, "抑止解除", (), "抑止が解除された。一時解除は通知しない。"),
    EventKind(
        ProtectionEventType.SHIEN_KAISHI,
        "支援措置開始",
        (),
        "支援措置（仮支援措置を含む）の対象になった、または延長された。",
    ),
    EventKind(ProtectionEventType.SHIEN_SHURYO, "支援措置終了", (), "支援措置が終了した。"),
)

BY_TYPE: dict[str, EventKind] = {kind.type: kind for kind in CATALOGUE}


def kind_of(event_type: str) -> EventKind | None:
    return BY_TYPE.get(event_type)


def is_protection(event_type: str) -> bool:
    return event_type.startswith(PROTECTION_PREFIX)


def all_reasons() -> tuple[str, ...]:
    return tuple(dict.fromkeys(r for kind in CATALOGUE for r in kind.reasons))
