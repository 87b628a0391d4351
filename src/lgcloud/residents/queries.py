"""Read side: search (§2.12), a person's history and 異動, the state at any past date.

``search`` and ``view_person`` write an audit entry (every read of personal data is logged);
the plain helpers below them do not and are for internal use. 個人番号 is masked unless the caller
holds the MYNUMBER_READ permission and asks for it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, select, union
from sqlalchemy.orm import Session

from lgcloud.residents import keys, protect
from lgcloud.residents.errors import InvalidField, ResidentNotFound
from lgcloud.residents.model import Ido, Person, Row, Status
from lgcloud.residents.models import current, history, ido
from lgcloud.residents.repository import current_rows_statement, ido_from, row_from
from lgcloud.tenancy.audit import record_audit

MAX_PER_PAGE = 100
#: A search lists at most this many persons; beyond it the clerk is asked for another condition.
MAX_HITS = 1000
_TOP = "\U0010ffff"
MASK = "************"


@dataclass(frozen=True)
class SearchQuery:
    """基本検索 keys (§2.12). Name and kana match a prefix of 氏名, of 名 alone, or of 旧氏/通称."""

    name: str | None = None  # 氏名 (漢字/アルファベット): 異体字 inclusive
    kana: str | None = None  # フリガナ: fuzzy (清濁, 拗促音, 長音, オウ→オ …)
    birth_date: str | None = None  # 和暦 or 西暦
    sex: str | None = None
    address: str | None = None  # prefix of 住所 (町字・番地)
    atena_no: str | None = None
    setai_no: str | None = None
    juminhyo_code: str | None = None
    mynumber: str | None = None  # requires MYNUMBER_READ
    residence_card_no: str | None = None  # 在留カード番号 / 特別永住者証明書番号
    zokugara: str | None = None  # 続柄 (exact)
    address_code: str | None = None  # 住所コード (exact)
    katagaki: str | None = None  # 方書 (contains)
    removal_reason: str | None = None  # 消除事由 (exact: 国内転出, 死亡 …)
    include_history: bool = True  # past names / addresses
    include_removed: bool = True  # 除票 (転出・死亡・消除)
    page: int = 1
    per_page: int = 20

    def is_empty(self) -> bool:
        fields = (
            self.zokugara,
            self.address_code,
            self.katagaki,
            self.removal_reason,
            self.name,
            self.kana,
            self.birth_date,
            self.sex,
            self.address,
            self.atena_no,
            self.setai_no,
            self.juminhyo_code,
            self.mynumber,
            self.residence_card_no,
        )
        return not any(f and str(f).strip() for f in fields)

    def audit_detail(self) -> dict[str, Any]:
        detail = {k: v for k, v in self.__dict__.items() if v not in (None, "") and k != "mynumber"}
        if self.mynumber:
            detail["mynumber"] = "(個人番号で検索)"
        return detail


@dataclass
class SearchPage:
    rows: list[Row]
    page: int
    per_page: int
    has_next: bool
    query: SearchQuery = field(default_factory=SearchQuery)
    truncated: bool = False  # more than MAX_HITS persons matched
    total: int = 0  # persons found (at most MAX_HITS)
    labels: dict[str, str] = field(default_factory=dict)  # 宛名番号 → 支援対象者 / 抑止 label (§2.10)


def _prefix(column: Any, value: str) -> Any:
    return and_(column >= value, column < value + _TOP)


Alternative = tuple[Any, Any]  # (key column that drives the scan, condition)


def _name_alternatives(text: str, full: Any, mei: Any, alias: Any, key: Any) -> list[Alternative]:
    """Prefix of the whole name; one word also of the 名 alone and of 旧氏/通称 (one branch each)."""
    k = key(text)
    if k is None:
        return []
    columns = [full] if any(ch in text.strip() for ch in " \u3000") else [full, mei, alias]
    return [(column, _prefix(column, k)) for column in columns]


def _conditions(q: SearchQuery) -> tuple[list[Any], list[list[Alternative]]]:
    """(conditions every row must meet, groups of alternatives — one of each group must hold)."""
    h = history.c
    conds: list[Any] = []
    groups: list[list[Alternative]] = []
    if q.name and (alternatives := _name_alternatives(q.name, h.name_key, h.name_mei_key, h.alias_key, keys.name_key)):
        groups.append(alternatives)
    if q.kana and (
        alternatives := _name_alternatives(q.kana, h.kana_key, h.kana_mei_key, h.alias_kana_key, keys.kana_key)
    ):
        groups.append(alternatives)
    if q.birth_date:
        parsed = keys.parse_date(q.birth_date, field="birth_date")
        if parsed.value is None:
            raise InvalidField("生年月日は年月日まで入力してください", field="birth_date")
        conds.append(h.birth_date == parsed.value)
        groups.append([(h.birth_date, True)])
    if q.address and (k := keys.address_key(q.address)):
        groups.append([(h.address_key, _prefix(h.address_key, k))])
    for column, value in (
        (h.sex, q.sex),
        (h.atena_no, q.atena_no),
        (h.setai_no, q.setai_no),
        (h.juminhyo_code, q.juminhyo_code),
        (h.mynumber, q.mynumber),
        (h.residence_card_no, q.residence_card_no),
    ):
        if value:
            conds.append(column == value.strip())
    for column, value in (
        (h.zokugara, q.zokugara),
        (h.address_code, q.address_code),
        (h.removal_reason, q.removal_reason),
    ):
        if value:
            conds.append(column == value.strip())
    if q.katagaki:
        conds.append(h.katagaki.contains(q.katagaki.strip(), autoescape=True))
    return conds, groups


def _branch(lg_code: str, q: SearchQuery, conditions: Sequence[Any], combo: Sequence[Alternative]) -> Select[Any]:
    """One index range scan, stopped after MAX_HITS + 1 rows in index order (bounded cost on any size)."""
    stmt = select(history.c.atena_no).where(history.c.lg_code == lg_code, *conditions, *(c for _, c in combo))
    if not q.include_history or not q.include_removed:
        on = [current.c.lg_code == history.c.lg_code, current.c.atena_no == history.c.atena_no]
        if not q.include_history:
            on.append(current.c.rireki_no == history.c.rireki_no)
        stmt = stmt.join(current, and_(*on))
        if not q.include_removed:
            stmt = stmt.where(current.c.status == Status.RESIDENT.value)
    driving = combo[0][0] if combo else history.c.atena_no
    limited = stmt.order_by(driving, history.c.atena_no).limit(MAX_HITS + 1).subquery()
    return select(limited.c.atena_no)


def find(session: Session, lg_code: str, q: SearchQuery) -> SearchPage:
    """Search without auditing (internal). Results are the persons' current rows, by 宛名番号.

    Alternatives (氏名 / 名 / 旧氏・通称) are a UNION of branches rather than an OR, each an index-only range
    scan on its (lg_code, key, 宛名番号) index. More than ``MAX_HITS`` persons: the page says so
    (``truncated``) and lists the first ones in key order — the clerk adds a condition.
    """
    if q.is_empty():
        raise InvalidField("検索条件を1つ以上入力してください", field="query")
    per_page = max(1, min(q.per_page, MAX_PER_PAGE))
    page = max(1, q.page)
    conds, groups = _conditions(q)
    combos = list(itertools.product(*groups))
    found = sorted({r[0] for r in session.execute(union(*(_branch(lg_code, q, conds, c) for c in combos)))})
    truncated = len(found) > MAX_HITS
    found = found[:MAX_HITS]
    start = (page - 1) * per_page
    rows = current_rows(session, lg_code, found[start : start + per_page])
    return SearchPage(rows, page, per_page, len(found) > start + per_page, q, truncated=truncated, total=len(found))


def current_rows(session: Session, lg_code: str, atena_nos: list[str]) -> list[Row]:
    if not atena_nos:
        return []
    stmt = current_rows_statement(current.c.atena_no.in_(atena_nos))
    by_no = {m["atena_no"]: row_from(m) for m in session.execute(stmt, {"lg": lg_code}).mappings()}
    return [by_no[a] for a in atena_nos if a in by_no]


def all_current(session: Session, lg_code: str) -> list[Row]:
    """Every person's current row (small registries, tests and exports)."""
    stmt = current_rows_statement().order_by(None).order_by(history.c.atena_no)
    return [row_from(m) for m in session.execute(stmt, {"lg": lg_code}).mappings()]


def history_rows(session: Session, lg_code: str, atena_no: str) -> list[Row]:
    stmt = (
        select(history)
        .where(history.c.lg_code == lg_code, history.c.atena_no == atena_no)
        .order_by(history.c.rireki_no)
    )
    return [row_from(m) for m in session.execute(stmt).mappings()]


def ido_records(session: Session, lg_code: str, ido_ids: list[int]) -> dict[int, Ido]:
    if not ido_ids:
        return {}
    stmt = select(ido).where(ido.c.lg_code == lg_code, ido.c.ido_id.in_(ido_ids))
    return {m["ido_id"]: ido_from(m) for m in session.execute(stmt).mappings()}


def all_ido(session: Session, lg_code: str) -> list[Ido]:
    stmt = select(ido).where(ido.c.lg_code == lg_code).order_by(ido.c.ido_id)
    return [ido_from(m) for m in session.execute(stmt).mappings()]


def state_at(session: Session, lg_code: str, atena_no: str, at: date) -> Row | None:
    """The person as recorded, in effect on ``at``: the latest row whose 異動日 ≤ ``at``."""
    stmt = (
        select(history)
        .where(history.c.lg_code == lg_code, history.c.atena_no == atena_no, history.c.valid_from <= at)
        .order_by(history.c.rireki_no.desc())
        .limit(1)
    )
    m = session.execute(stmt).mappings().first()
    return row_from(m) if m else None


def household_at(session: Session, lg_code: str, setai_no: str, at: date) -> list[Row]:
    """The 世帯's 住民 members on ``at``, in 世帯員の並び順."""
    stmt = select(history.c.atena_no).distinct().where(history.c.lg_code == lg_code, history.c.setai_no == setai_no)
    rows = [state_at(session, lg_code, a, at) for (a,) in session.execute(stmt)]
    members = [r for r in rows if r and r.person.setai_no == setai_no and r.person.status is Status.RESIDENT]
    return sorted(members, key=lambda r: (r.person.household_order, r.atena_no))


def mask(person: Person, can_read_mynumber: bool) -> Person:
    if can_read_mynumber or not person.mynumber:
        return person
    return person.replace(mynumber=MASK)


def masked(row: Row, can_read_mynumber: bool) -> Row:
    return Row(mask(row.person, can_read_mynumber), row.rireki_no, row.ido_id, row.valid_from)


# --- audited reads --------------------------------------------------------------------------------


def search(
    session: Session,
    lg_code: str,
    actor: str,
    q: SearchQuery,
    *,
    can_read_mynumber: bool = False,
    source_ip: str | None = None,
) -> SearchPage:
    """Audited search. Searching by 個人番号 needs MYNUMBER_READ; 個人番号 is masked without it."""
    if q.mynumber and not can_read_mynumber:
        from lgcloud.errors import PermissionDenied

        raise PermissionDenied("個人番号での検索には個人番号の閲覧権限が必要です", code="mynumber-forbidden")
    result = find(session, lg_code, q)
    states = protect.states(session, lg_code, result.rows)
    hidden = {a for a, state in states.items() if protect.hides_address(state)}
    if q.address:  # the hit itself would tell where a protected person lives
        result.rows = [r for r in result.rows if r.atena_no not in hidden]
    result.rows = protect.conceal_rows(result.rows, hidden)
    result.labels = {a: state.label for a, state in states.items() if state.label}
    record_audit(
        session,
        lg_code=lg_code,
        actor=actor,
        action="resident:record:search",
        source_ip=source_ip,
        detail={**q.audit_detail(), "hits": [r.atena_no for r in result.rows]},
    )
    result.rows = [masked(r, can_read_mynumber) for r in result.rows]
    return result


@dataclass
class PersonView:
    current: Row
    history: list[Row]
    ido: dict[int, Ido]
    household: list[Row]
    labels: dict[str, str] = field(default_factory=dict)  # 宛名番号 → 支援対象者 / 抑止 label
    concealed: bool = False  # the person's address items are hidden (支援措置 / 抑止, no release)


def view_person(
    session: Session,
    lg_code: str,
    actor: str,
    atena_no: str,
    *,
    can_read_mynumber: bool = False,
    show_mynumber: bool = False,
    source_ip: str | None = None,
    release_id: int | None = None,
) -> PersonView:
    """A person with the full history timeline and their 世帯, audited (個人番号 shown only on request).

    Address items of a 支援対象者 (or of a person with an エラー 抑止 for 照会) are hidden unless
    ``release_id`` is a release of the 支援措置責任者 for this person (§2.10).
    """
    rows = history_rows(session, lg_code, atena_no)
    if not rows:
        raise ResidentNotFound(f"宛名番号 {atena_no} の住民は見つかりません", atena_no=atena_no)
    reveal = can_read_mynumber and show_mynumber
    last = rows[-1]
    household = household_members(session, lg_code, last.person.setai_no)
    states = protect.states(session, lg_code, [last, *household])
    hidden = {a for a, state in states.items() if protect.hides_address(state)}
    if atena_no in hidden and protect.released(session, lg_code, actor, atena_no, release_id):
        hidden.discard(atena_no)
    record_audit(
        session,
        lg_code=lg_code,
        actor=actor,
        action="resident:record:read",
        target=atena_no,
        source_ip=source_ip,
        detail={"mynumber_shown": reveal},
    )
    return PersonView(
        current=protect.conceal_rows([masked(last, reveal)], hidden)[0],
        history=protect.conceal_rows([masked(r, reveal) for r in rows], hidden),
        ido=ido_records(session, lg_code, sorted({r.ido_id for r in rows})),
        household=protect.conceal_rows([masked(r, reveal) for r in household], hidden),
        labels={a: state.label for a, state in states.items() if state.label},
        concealed=atena_no in hidden,
    )


def shown(session: Session, lg_code: str, rows: list[Row]) -> list[Row]:
    """Rows for display: 個人番号 masked, address items of protected persons hidden (state, 世帯 views)."""
    hidden = {a for a, state in protect.states(session, lg_code, rows).items() if protect.hides_address(state)}
    return protect.conceal_rows([masked(r, False) for r in rows], hidden)


def household_members(session: Session, lg_code: str, setai_no: str) -> list[Row]:
    """The 世帯's 住民 members now, in 世帯員の並び順."""
    rows = current_rows(session, lg_code, _member_nos(session, lg_code, setai_no))
    return sorted(rows, key=lambda r: (r.person.household_order, r.atena_no))


def _member_nos(session: Session, lg_code: str, setai_no: str) -> list[str]:
    stmt = (
        select(current.c.atena_no)
        .where(current.c.lg_code == lg_code, current.c.setai_no == setai_no, current.c.status == Status.RESIDENT.value)
        .order_by(current.c.atena_no)
    )
    return [r[0] for r in session.execute(stmt)]
