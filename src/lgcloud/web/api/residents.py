"""JSON API of the 住民記録: search, a person with history, state at a date, 世帯, and every 異動.

All routes are per municipality (``/municipalities/{lg_code}/…``) and join the tenant attack matrix.
Errors are problem JSON with a machine ``code`` (e.g. ``head-change-required``); nothing is written
when one is returned.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile, status
from pydantic import BaseModel, Field

from lgcloud.errors import LgcloudError
from lgcloud.residents import code_pool, present, queries
from lgcloud.residents.commands import Command
from lgcloud.residents.errors import ResidentNotFound
from lgcloud.residents.services import Actor, record_ido
from lgcloud.tenancy.permissions import Permission
from lgcloud.web.deps import TenantContext, tenant_access

router = APIRouter(tags=["residents"])

Reader = Annotated[TenantContext, Depends(tenant_access(Permission.RESIDENT_READ))]
Writer = Annotated[TenantContext, Depends(tenant_access(Permission.RESIDENT_WRITE))]
AtenaNo = Annotated[str, Path(pattern=r"^\d{1,20}$", description="宛名番号")]
BASE = "/municipalities/{lg_code}"


class SearchResult(BaseModel):
    items: list[dict[str, Any]]
    page: int
    per_page: int
    has_next: bool
    total: int = Field(description="persons found (at most queries.MAX_HITS)")
    truncated: bool = Field(description="more persons matched than listed: add a condition")


class IdoRequest(BaseModel):
    """One 異動. ``command.kind`` selects it (move_in, move_within, move_out, household_split …)."""

    command: Command
    #: 宛名番号 → 履歴番号 the clerk saw; a later change makes the request fail with 409.
    expected: dict[str, int] = Field(default_factory=dict)


class IdoResponse(BaseModel):
    ido: dict[str, Any]
    rows: list[dict[str, Any]]


def _can_mynumber(ctx: TenantContext) -> bool:
    return ctx.principal.can(Permission.MYNUMBER_READ)


@router.get(BASE + "/residents", response_model=SearchResult)
def search_residents(
    ctx: Reader,
    name: str | None = None,
    kana: str | None = None,
    birth_date: str | None = Query(None, description="和暦または西暦"),
    sex: str | None = Query(None, pattern=r"^[12]$"),
    address: str | None = None,
    atena_no: str | None = None,
    setai_no: str | None = None,
    juminhyo_code: str | None = None,
    mynumber: str | None = Query(None, description="個人番号（個人番号の閲覧権限が必要）"),
    residence_card_no: str | None = None,
    zokugara: str | None = None,
    address_code: str | None = None,
    katagaki: str | None = Query(None, description="方書（部分一致）"),
    removal_reason: str | None = Query(None, description="消除事由（国内転出・国外転出・死亡・職権消除 …）"),
    include_history: bool = True,
    include_removed: bool = True,
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=queries.MAX_PER_PAGE),
) -> SearchResult:
    q = queries.SearchQuery(
        name=name,
        kana=kana,
        birth_date=birth_date,
        sex=sex,
        address=address,
        atena_no=atena_no,
        setai_no=setai_no,
        juminhyo_code=juminhyo_code,
        mynumber=mynumber,
        residence_card_no=residence_card_no,
        zokugara=zokugara,
        address_code=address_code,
        katagaki=katagaki,
        removal_reason=removal_reason,
        include_history=include_history,
        include_removed=include_removed,
        page=page,
        per_page=per_page,
    )
    with ctx.session() as session:
        found = queries.search(
            session, ctx.lg_code, ctx.principal.name, q, can_read_mynumber=_can_mynumber(ctx), source_ip=ctx.source_ip
        )
    return SearchResult(
        items=[present.row_json(r) | {"protection": found.labels.get(r.atena_no, "")} for r in found.rows],
        page=found.page,
        per_page=found.per_page,
        has_next=found.has_next,
        total=found.total,
        truncated=found.truncated,
    )


@router.post(BASE + "/residents/ido", response_model=IdoResponse, status_code=status.HTTP_201_CREATED)
def enter_ido(ctx: Writer, body: IdoRequest) -> IdoResponse:
    """Enter one 異動 (届出 or 職権). The 処理日 is today; it cannot be given."""
    actor = Actor(user=ctx.principal.name, source_ip=ctx.source_ip)
    with ctx.session() as session:
        result = record_ido(session, ctx.lg_code, actor, body.command, expected=body.expected)
    reveal = _can_mynumber(ctx)
    return IdoResponse(
        ido=present.ido_json(result.ido), rows=[present.row_json(queries.masked(r, reveal)) for r in result.rows]
    )


@router.get(BASE + "/residents/ido/{ido_id}")
def get_ido(ctx: Reader, ido_id: int) -> dict[str, Any]:
    with ctx.session() as session:
        found = queries.ido_records(session, ctx.lg_code, [ido_id])
        if ido_id not in found:
            raise ResidentNotFound(f"異動 {ido_id} は見つかりません", code="ido-not-found")
        ctx.audit(session, "resident:ido:read", target=str(ido_id))
    return present.ido_json(found[ido_id])


@router.get(BASE + "/residents/{atena_no}")
def get_resident(
    ctx: Reader,
    atena_no: AtenaNo,
    show_mynumber: bool = False,
    release_id: int | None = Query(None, description="支援措置責任者の解除（審査依頼番号）: 住所等を表示"),
) -> dict[str, Any]:
    """The person now, the full history (one full snapshot per row) with its 異動, and the 世帯.

    A 支援対象者's address items are hidden (``concealed``) unless ``release_id`` is a release for them.
    """
    with ctx.session() as session:
        view = queries.view_person(
            session,
            ctx.lg_code,
            ctx.principal.name,
            atena_no,
            can_read_mynumber=_can_mynumber(ctx),
            show_mynumber=show_mynumber,
            source_ip=ctx.source_ip,
            release_id=release_id,
        )
    return {
        "concealed": view.concealed,
        "protection": view.labels,
        "current": present.row_json(view.current),
        "history": [present.row_json(r) for r in view.history],
        "ido": [present.ido_json(i) for i in view.ido.values()],
        "household": [present.row_json(r) for r in view.household],
    }


@router.get(BASE + "/residents/{atena_no}/state")
def resident_at(ctx: Reader, atena_no: AtenaNo, at: date) -> dict[str, Any]:
    """The person as in effect on ``at`` (latest row whose 異動日 ≤ at)."""
    with ctx.session() as session:
        row = queries.state_at(session, ctx.lg_code, atena_no, at)
        if row is None:
            raise ResidentNotFound(f"{at.isoformat()} 時点の宛名番号 {atena_no} の記録はありません")
        ctx.audit(session, "resident:record:read", target=atena_no, detail={"at": at.isoformat()})
        shown = queries.shown(session, ctx.lg_code, [row])[0]
    return present.row_json(shown)


@router.get(BASE + "/households/{setai_no}")
def household(ctx: Reader, setai_no: AtenaNo, at: date | None = None) -> dict[str, Any]:
    """世帯員 in 並び順, now or on ``at``."""
    from lgcloud.residents.services import today_jst

    when = at or today_jst()
    with ctx.session() as session:
        members = queries.shown(session, ctx.lg_code, queries.household_at(session, ctx.lg_code, setai_no, when))
        ctx.audit(session, "resident:household:read", target=setai_no, detail={"at": when.isoformat()})
    if not members:
        raise ResidentNotFound(f"世帯番号 {setai_no} の世帯は見つかりません", code="household-not-found")
    return {
        "setai_no": setai_no,
        "at": when.isoformat(),
        "members": [present.row_json(queries.masked(r, False)) for r in members],
    }


# --- 住民票コードの払出し用プール ---------------------------------------------------------------------

Admin = Annotated[TenantContext, Depends(tenant_access(Permission.SETTINGS_MANAGE))]
#: A CS file of codes: 12 bytes a line, so 1 MB holds about 87,000.
MAX_CODE_FILE = 1 << 20


class CodePoolStatus(BaseModel):
    available: int = Field(description="未使用の住民票コード")
    assigned: int = Field(description="払出し済み")
    low: bool = Field(description=f"{code_pool.LOW_WATERMARK} 件未満")


class CodePoolLoad(BaseModel):
    added: int
    already: int = Field(description="プールにあったため省略")
    invalid: list[dict[str, Any]] = Field(description="追加しなかった行 (line, value, reason)")
    status: CodePoolStatus


def pool_status(ctx: TenantContext) -> CodePoolStatus:
    with ctx.session() as session:
        pool = code_pool.status(session, ctx.lg_code)
    return CodePoolStatus(available=pool.available, assigned=pool.assigned, low=pool.low)


def load_codes(ctx: TenantContext, upload: UploadFile) -> CodePoolLoad:
    """Add the codes of an uploaded CS file; a file that is not a text file of codes changes nothing."""
    data = upload.file.read(MAX_CODE_FILE + 1)
    if not data.strip():
        raise LgcloudError("住民票コードのファイルが空です", code="code-pool-empty-file", status=400)
    if len(data) > MAX_CODE_FILE:
        raise LgcloudError("ファイルが大きすぎます(1 MB まで)", code="code-pool-file-too-large", status=413)
    lines = data.decode("ascii", errors="replace").splitlines()
    with ctx.session() as session:
        report = code_pool.load(session, ctx.lg_code, lines, ctx.principal.name)
    invalid = [{"line": line, "value": value, "reason": reason} for line, value, reason in report.invalid]
    return CodePoolLoad(added=report.added, already=report.already, invalid=invalid, status=pool_status(ctx))


@router.get(BASE + "/juminhyo-codes", response_model=CodePoolStatus)
def get_code_pool(ctx: Admin) -> CodePoolStatus:
    """How many 住民票コード are left in the pool for 出生 and 国外転入."""
    return pool_status(ctx)


@router.post(BASE + "/juminhyo-codes", response_model=CodePoolLoad)
def post_code_pool(ctx: Admin, file: Annotated[UploadFile, File(description="1行に1つの住民票コード")]) -> CodePoolLoad:
    """Add the codes of a file obtained from the CS; lines with a wrong check digit are listed, not added."""
    return load_codes(ctx, file)
