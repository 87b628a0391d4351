"""The rules of 住民記録システム標準仕様書 §2.9 as pure functions over snapshots.

Each raises a :mod:`lgcloud.residents.errors` class on violation; none performs I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from lgcloud.codes import validate_zokugara
from lgcloud.residents.errors import (
    AlreadyResident,
    CancelNotAllowed,
    FutureIdoDate,
    HeadChangeRequired,
    IdoDateBeforeLatest,
    InvalidHousehold,
    InvalidZokugara,
    NotAResident,
    NotifiedDateFuture,
    PossibleDuplicate,
    ReentryDetected,
)
from lgcloud.residents.model import HEAD, FlexDate, Ido, Person, Row, Status

#: 転出届 later than this after the move is recorded by 職権 (j640).
LATE_MOVE_OUT_DAYS = 14


def check_ido_date(ido_date: FlexDate, today: date, *, allow_future: bool = False) -> None:
    """異動日 ≤ today, except for 転出 (転出予定日)."""
    if not allow_future and ido_date.value is not None and ido_date.value > today:
        raise FutureIdoDate("異動日に未来の日付は指定できません（転出を除く）", field="ido_date")


def check_todokede_date(todokede: date | None, today: date) -> None:
    if todokede is not None and todokede > today:
        raise NotifiedDateFuture("届出日に未来の日付は指定できません", field="todokede_date")


def check_not_before_latest(rows: Iterable[Row], valid_from: date) -> None:
    """A 異動 may not take effect before the person's latest recorded 異動 (the timeline stays ordered)."""
    for row in rows:
        if valid_from < row.valid_from:
            raise IdoDateBeforeLatest(
                f"宛名番号 {row.atena_no} には {row.valid_from.isoformat()} の異動があります。"
                "それより前の異動日は指定できません",
                field="ido_date",
                atena_no=row.atena_no,
            )


def is_late_move_out(move_date: date, todokede: date) -> bool:
    """転出届 more than 14 days after the move: recorded by 職権 (j640)."""
    return todokede - move_date > timedelta(days=LATE_MOVE_OUT_DAYS)


def require_resident(row: Row | None, atena_no: str) -> Row:
    if row is None:
        from lgcloud.residents.errors import ResidentNotFound

        raise ResidentNotFound(f"宛名番号 {atena_no} の住民は見つかりません", atena_no=atena_no)
    if not row.person.is_resident:
        raise NotAResident(
            f"宛名番号 {atena_no} は{row.person.status.value}のため、この異動はできません", atena_no=atena_no
        )
    return row


# --- 続柄 -----------------------------------------------------------------------------------------


def check_zokugara(text: str, *, atena_no: str | None = None) -> None:
    """続柄 of §2.4 (codes: chains of up to 4 generations, 縁故者, 同居人; forbidden terms named)."""
    reason = validate_zokugara(text)
    if reason is not None:
        who = f"（宛名番号 {atena_no}）" if atena_no else ""
        raise InvalidZokugara(f"続柄「{text}」{who}: {reason}", field="zokugara", atena_no=atena_no)


# --- 世帯 -----------------------------------------------------------------------------------------


def settle_household(setai_no: str, before: Sequence[Person], after: Sequence[Person], moved: set[str]) -> list[Person]:
    """Apply the 世帯主 rules to one 世帯 after a 異動 (j490).

    ``before``/``after`` are the 住民 members before and after; ``moved`` are the persons the 異動 itself
    changed. Returns members that must get a new row (automatic 世帯主, new 世帯主の氏名).
    """
    if not after:
        return []
    heads = [p for p in after if p.is_head]
    if len(heads) > 1:
        raise InvalidHousehold(f"世帯 {setai_no} に世帯主が複数います", setai_no=setai_no)
    if not heads:
        had_head = any(p.is_head for p in before)
        if not had_head and before:
            return _sync_head_name(after, None, moved)  # 世帯主未設定 stays so (j100)
        if len(after) > 1:
            raise HeadChangeRequired(
                f"世帯主が世帯 {setai_no} から抜け、残る世帯員が2人以上います。先に世帯主変更を行ってください",
                setai_no=setai_no,
            )
        only = after[0]
        return [only.replace(zokugara=HEAD, head_name=only.shimei)]
    return _sync_head_name(after, heads[0], moved)


def _sync_head_name(members: Sequence[Person], head: Person | None, moved: set[str]) -> list[Person]:
    name = head.shimei if head else ""
    return [m.replace(head_name=name) for m in members if m.head_name != name or m.atena_no in moved]


def check_head_change(members: Sequence[Person], new_head: str, zokugara: dict[str, str]) -> None:
    ids = {m.atena_no for m in members}
    if new_head not in ids:
        raise InvalidHousehold(f"宛名番号 {new_head} はこの世帯の世帯員ではありません", field="new_head")
    missing = sorted(ids - {new_head} - set(zokugara))
    if missing:
        raise InvalidHousehold(
            f"世帯員全員の新しい続柄を指定してください（未指定: {', '.join(missing)}）", field="zokugara"
        )


# --- 転入: 再転入 and 重複 ----------------------------------------------------------------------------


def check_reentry(number_matches: Sequence[Row], reentry_atena_no: str | None) -> None:
    """住民票コード / 個人番号 / 在留カード番号 match: a resident blocks, a 除票 means 再転入 (j600)."""
    for row in number_matches:
        if row.person.is_resident:
            raise AlreadyResident(
                f"同じ番号の住民（宛名番号 {row.atena_no}）が既に記録されています", atena_no=row.atena_no
            )
    others = [r for r in number_matches if r.atena_no != reentry_atena_no]
    if others:
        found = others[0]
        raise ReentryDetected(
            f"除票に同一人（宛名番号 {found.atena_no}、{found.person.shimei}）があります。"
            "再転入として処理してください（宛名番号は引き継がれます）",
            atena_no=found.atena_no,
            shimei=found.person.shimei,
        )


def check_three_info(matches: Sequence[Row], confirmed: bool, reentry_atena_no: str | None) -> None:
    """氏名・性別・生年月日 all match someone: an alert the clerk must confirm."""
    others = [r for r in matches if r.atena_no != reentry_atena_no]
    if others and not confirmed:
        raise PossibleDuplicate(
            "氏名・性別・生年月日が一致する記録があります（宛名番号 "
            + ", ".join(r.atena_no for r in others)
            + "）。別人であることを確認してください",
            candidates=[r.atena_no for r in others],
        )


def check_reentry_target(row: Row | None, atena_no: str) -> Row:
    if row is None:
        from lgcloud.residents.errors import ResidentNotFound

        raise ResidentNotFound(f"再転入の宛名番号 {atena_no} は見つかりません", atena_no=atena_no)
    if row.person.is_resident:
        raise AlreadyResident(f"宛名番号 {atena_no} は現在も住民です", atena_no=atena_no)
    return row


# --- 異動の取消し -----------------------------------------------------------------------------------


def check_cancellable(target: Ido, latest_rows: Sequence[Row]) -> None:
    """Only the latest 異動 of every person it touched can be cancelled; a cancellation cannot be."""
    if target.cancels_ido_id is not None or target.kind == "cancel":
        raise CancelNotAllowed("異動の取消しは取り消せません。必要なら改めて異動を入力してください")
    for row in latest_rows:
        if row.ido_id != target.ido_id:
            raise CancelNotAllowed(
                f"宛名番号 {row.atena_no} にはこの異動の後に別の異動があるため取り消せません",
                atena_no=row.atena_no,
            )


def removed_status(reason: str) -> Status:
    return {"死亡": Status.DECEASED, "国内転出": Status.MOVED_OUT, "国外転出": Status.MOVED_OUT}.get(
        reason, Status.REMOVED
    )
