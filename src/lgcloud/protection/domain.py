"""抑止 and 支援措置 as pure values and rules (standards.md §2.10). No I/O.

- A :class:`Suppression` (抑止) applies to one person (宛名番号) or one 世帯 (世帯番号) for one process
  (異動入力 / 証明書発行 / 照会) at a level (エラー blocks, アラート warns, 処理可 lets it through). It is in
  force from its start date until it is *released*; its end date passing does **not** end it.
- A :class:`TemporaryRelease` (一時解除) suspends one suppression until ``expires_at`` and then lapses by
  itself. It only affects this system's own checks: what other systems are told ignores it.
- A :class:`SupportMeasure` (DV等支援措置) holds what §2.10 lists; its 支援対象者 are the 申出者 and the
  persons who asked to be supported together (併せて支援を求める者).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from lgcloud.errors import LgcloudError
from lgcloud.protection import periods


class Process(StrEnum):
    IDO = "異動入力"
    CERTIFICATE = "証明書発行"
    INQUIRY = "照会"


class Level(StrEnum):
    ERROR = "エラー"  # blocks
    ALERT = "アラート"  # warns, lets through
    ALLOW = "処理可"  # recorded, lets through silently


LEVEL_RANK = {Level.ALLOW: 0, Level.ALERT: 1, Level.ERROR: 2}


class Scope(StrEnum):
    PERSON = "個人"
    HOUSEHOLD = "世帯"


class ProtectionError(LgcloudError):
    status = 422
    code = "protection-invalid"


# --- 抑止 -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suppression:
    suppression_id: int
    scope: Scope
    target: str  # 宛名番号 (個人) or 世帯番号 (世帯)
    process: Process
    level: Level
    start_on: date
    end_on: date | None = None
    reason: str = ""
    support_id: int | None = None
    released_at: datetime | None = None  # set by a real release (解除); never by a temporary one

    def __post_init__(self) -> None:
        if self.end_on is not None and self.end_on < self.start_on:
            raise ProtectionError("抑止の終了日が開始日より前です", code="protection-bad-period")

    def in_force(self, today: date) -> bool:
        """Started and not released. The end date passing does not end a suppression (§2.10)."""
        return self.released_at is None and self.start_on <= today

    def past_end(self, today: date) -> bool:
        """Its end date has passed while it is still in force: shown as a reminder to review it."""
        return self.in_force(today) and self.end_on is not None and today > self.end_on

    def applies_to(self, atena_no: str, setai_no: str | None) -> bool:
        if self.scope is Scope.PERSON:
            return self.target == atena_no
        return setai_no is not None and self.target == setai_no


@dataclass(frozen=True)
class TemporaryRelease:
    suppression_id: int
    granted_at: datetime
    expires_at: datetime
    granted_by: str = ""
    reason: str = ""

    def in_force(self, now: datetime) -> bool:
        return self.granted_at <= now < self.expires_at


@dataclass(frozen=True)
class Finding:
    """One suppression that applies to a person and process, and whether a 一時解除 suspends it now."""

    suppression: Suppression
    temporarily_released: bool
    past_end: bool

    @property
    def effective_level(self) -> Level | None:
        return None if self.temporarily_released else self.suppression.level


def findings(
    suppressions: Iterable[Suppression],
    temp_releases: Iterable[TemporaryRelease],
    *,
    atena_no: str,
    setai_no: str | None,
    process: Process,
    now: datetime,
) -> list[Finding]:
    """The suppressions in force for this person (or their 世帯) and process."""
    today = now.date()
    suspended = {t.suppression_id for t in temp_releases if t.in_force(now)}
    return [
        Finding(s, s.suppression_id in suspended, s.past_end(today))
        for s in suppressions
        if s.process is process and s.in_force(today) and s.applies_to(atena_no, setai_no)
    ]


def strongest(levels: Iterable[Level | None]) -> Level | None:
    present = [lv for lv in levels if lv is not None]
    return max(present, key=LEVEL_RANK.__getitem__) if present else None


# --- 支援措置 --------------------------------------------------------------------------------------


class Affair(StrEnum):
    """支援を求められている事務, with the addresses its 抑止 covers (§2.10)."""

    INSPECTION = "閲覧"  # 住民基本台帳の一部の写しの閲覧
    COPY = "写し交付"  # 住民票の写し等の交付
    FUHYO = "附票"  # 戸籍の附票の写しの交付


SUPPRESSED_ADDRESSES: dict[Affair, tuple[str, ...]] = {
    Affair.INSPECTION: ("現住所",),
    Affair.COPY: ("現住所", "前住所"),
    Affair.FUHYO: ("本籍", "前本籍", "前々本籍"),
}


class MeasureStatus(StrEnum):
    PROVISIONAL = "仮支援措置"
    ACTIVE = "支援措置"
    ENDED = "終了"


@dataclass(frozen=True)
class Party:
    """申出者 or 併せて支援を求める者."""

    name: str
    name_kana: str = ""
    tsusho: str = ""
    tsusho_kana: str = ""
    atena_no: str | None = None
    birth_date: str = ""  # as written (和暦 for 日本人)
    sex: str = ""
    address: str = ""
    prev_addresses: tuple[str, ...] = ()
    honseki: str = ""
    prev_honseki: tuple[str, ...] = ()
    contact: str = ""
    relation: str = ""  # 申出者との関係 (併せて支援を求める者 only)


@dataclass(frozen=True)
class Perpetrator:
    """加害者."""

    name: str
    atena_no: str | None = None  # when registered in this municipality
    birth_date: str = ""
    sex: str = ""
    address: str = ""
    other: str = ""


@dataclass(frozen=True)
class Transfer:
    """転送情報: the measure was passed to the municipality the person moved to."""

    to_municipality: str
    transferred_on: date
    received_on: date | None = None
    contacted_on: date | None = None


@dataclass(frozen=True)
class Provisional:
    """仮支援措置: from the 申出 until the decision; ``original_municipality`` = 当初受付市区町村."""

    start_on: date
    original_municipality: str = ""


@dataclass(frozen=True)
class SupportMeasure:
    support_id: int
    applicant: Party
    received_on: date  # 申出の受付日
    companions: tuple[Party, ...] = ()
    perpetrators: tuple[Perpetrator, ...] = ()
    affairs: tuple[Affair, ...] = (Affair.INSPECTION, Affair.COPY, Affair.FUHYO)
    status: MeasureStatus = MeasureStatus.PROVISIONAL
    start_on: date | None = None
    end_on: date | None = None
    provisional: Provisional | None = None
    transfers: tuple[Transfer, ...] = ()
    extensions: int = 0
    ended_on: date | None = None
    end_reason: str = ""

    @property
    def subjects(self) -> tuple[str, ...]:
        """宛名番号 of the 支援対象者 registered here (申出者 and 併せて支援を求める者)."""
        parties = (self.applicant, *self.companions)
        return tuple(dict.fromkeys(p.atena_no for p in parties if p.atena_no))

    @property
    def in_force(self) -> bool:
        """Provisional or decided and not ended: expiry alone does not lift the protection."""
        return self.status is not MeasureStatus.ENDED

    @property
    def suppressed_addresses(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for affair in self.affairs:
            seen.update(dict.fromkeys(SUPPRESSED_ADDRESSES[affair]))
        return tuple(seen)

    def replace(self, **changes: Any) -> SupportMeasure:
        return dataclasses.replace(self, **changes)


def apply(applicant: Party, received_on: date, support_id: int = 0, **details: Any) -> SupportMeasure:
    """A 申出 received: 仮支援措置 in force from the 申出 until the decision."""
    if not applicant.name.strip():
        raise ProtectionError("申出者の氏名を入力してください", code="protection-no-applicant")
    original = details.pop("original_municipality", "")
    return SupportMeasure(
        support_id=support_id,
        applicant=applicant,
        received_on=received_on,
        provisional=Provisional(received_on, original),
        **details,
    )


def decide(measure: SupportMeasure, start_on: date) -> SupportMeasure:
    """支援措置の決定: entering the start date sets the end date one year later (§2.10)."""
    _require_in_force(measure)
    if measure.status is MeasureStatus.ACTIVE:
        raise ProtectionError("この支援措置は既に決定されています", code="protection-already-decided")
    return measure.replace(status=MeasureStatus.ACTIVE, start_on=start_on, end_on=periods.period_end(start_on))


def extend(measure: SupportMeasure, today: date) -> SupportMeasure:
    """延長: possible from one month before the end date, for one year from the day after it."""
    _require_in_force(measure)
    if measure.status is not MeasureStatus.ACTIVE or measure.end_on is None:
        raise ProtectionError("決定前の仮支援措置は延長できません", code="protection-not-decided")
    opens = periods.extension_opens(measure.end_on)
    if today < opens:
        raise ProtectionError(
            f"延長の申出は終了日の1か月前（{opens.isoformat()}）から受け付けます",
            code="protection-extension-too-early",
            opens_on=opens.isoformat(),
        )
    start, end = periods.extended_period(measure.end_on)
    return measure.replace(start_on=start, end_on=end, extensions=measure.extensions + 1)


def end(measure: SupportMeasure, ended_on: date, reason: str) -> SupportMeasure:
    """支援措置の終了 (申出の取下げ, 不決定, 期間満了後の確認 …). The reason is required."""
    _require_in_force(measure)
    if not reason.strip():
        raise ProtectionError("終了の理由を入力してください", code="protection-no-reason")
    return measure.replace(status=MeasureStatus.ENDED, ended_on=ended_on, end_reason=reason.strip())


def transfer(measure: SupportMeasure, record: Transfer) -> SupportMeasure:
    """転出: record the 転送情報 (the new municipality starts its own 仮支援措置)."""
    _require_in_force(measure)
    return measure.replace(transfers=(*measure.transfers, record))


def provisional_on_move_in(
    applicant: Party, received_on: date, original_municipality: str, support_id: int = 0, **details: Any
) -> SupportMeasure:
    """The municipality a 支援対象者 moved to: 仮支援措置 with the 当初受付市区町村 as 前住所地."""
    return apply(applicant, received_on, support_id, original_municipality=original_municipality, **details)


def _require_in_force(measure: SupportMeasure) -> None:
    if not measure.in_force:
        raise ProtectionError("この支援措置は終了しています", code="protection-ended")


# --- alerts and the 終了通知 ----------------------------------------------------------------------


class AlertKind(StrEnum):
    EXPIRING = "期間満了間近"
    EXPIRED = "期間満了"
    PAST_END = "終了日経過"


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    message: str
    support_id: int | None = None
    suppression_id: int | None = None


def measure_alerts(measure: SupportMeasure, today: date) -> list[Alert]:
    """Within the last month: 満了間近; after the end date (not yet extended or ended): 満了."""
    if not measure.in_force or measure.end_on is None:
        return []
    end_on = measure.end_on
    if today > end_on:
        text = f"支援措置期間が{end_on.isoformat()}に満了しています。延長または終了の処理をしてください"
        return [Alert(AlertKind.EXPIRED, text, support_id=measure.support_id)]
    if periods.in_last_month(end_on, today):
        left = periods.days_left(end_on, today)
        text = f"支援措置期間の満了まで残り{left}日です（終了日 {end_on.isoformat()}）。延長の申出を受け付けられます"
        return [Alert(AlertKind.EXPIRING, text, support_id=measure.support_id)]
    return []


def suppression_alerts(suppressions: Sequence[Suppression], today: date) -> list[Alert]:
    return [
        Alert(
            AlertKind.PAST_END,
            f"抑止（{s.process}）の終了日 {s.end_on} を過ぎています。解除するまで抑止は続きます",
            suppression_id=s.suppression_id,
        )
        for s in suppressions
        if s.past_end(today)
    ]


@dataclass(frozen=True)
class EndNotice:
    """支援措置期間終了通知 (to the 申出者)."""

    support_id: int
    addressee: str
    start_on: date | None
    end_on: date | None
    issued_on: date
    lines: tuple[str, ...] = field(default_factory=tuple)


def end_notice(measure: SupportMeasure, issued_on: date, municipality: str) -> EndNotice:
    """The 終了通知 for a measure whose period has ended (or that was ended)."""
    finished = measure.status is MeasureStatus.ENDED or (measure.end_on is not None and issued_on > measure.end_on)
    if not finished:
        raise ProtectionError("支援措置期間が終了していないため終了通知は作成できません", code="protection-not-ended")
    period = f"{measure.start_on or measure.received_on} から {measure.end_on or measure.ended_on}"
    lines = (
        f"{measure.applicant.name} 様",
        f"あなたから申出のあった住民基本台帳事務における支援措置（期間 {period}）は終了しました。",
        "引き続き支援を必要とする場合は、改めて申出をしてください。",
        municipality,
    )
    return EndNotice(measure.support_id, measure.applicant.name, measure.start_on, measure.end_on, issued_on, lines)
