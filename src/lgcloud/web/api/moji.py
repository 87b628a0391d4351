"""JSON API of the character foundation: lookup, analysis of a text, suggestions, 外字 mappings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from lgcloud.errors import LgcloudError, NotFound
from lgcloud.moji import service
from lgcloud.moji.degrade import degrade_text
from lgcloud.moji.matching import matching_key
from lgcloud.moji.models import GaijiMapping
from lgcloud.moji.report import describe
from lgcloud.moji.suggest import suggest
from lgcloud.moji.text import classify
from lgcloud.tenancy.permissions import Permission
from lgcloud.tenancy.principal import Principal
from lgcloud.web.deps import TenantContext, require_permission, tenant_access

router = APIRouter(tags=["moji"])
MAX_TEXT = 10_000
MAX_UPLOAD = 5 * 1024 * 1024

Reader = Annotated[Principal, Depends(require_permission(Permission.MOJI_READ))]
TenantReader = Annotated[TenantContext, Depends(tenant_access(Permission.MOJI_READ))]
TenantManager = Annotated[TenantContext, Depends(tenant_access(Permission.MOJI_MANAGE))]


@router.get("/moji/lookup")
def lookup(q: Annotated[str, Query(min_length=1, max_length=40)], _: Reader) -> dict[str, Any]:
    """文字コード照会: 文字 (IVS/SVS 可), MJxxxxxx, J+XXXX, U+XXXX, 戸籍統一文字番号, 面区点 (1-25-66)."""
    info = describe(q)
    if info is None:
        raise NotFound(f"MJ 文字が見つかりません: {q}", code="moji-not-found")
    return info


class TextIn(BaseModel):
    text: str = Field(max_length=MAX_TEXT)
    allow_lookalike: bool = False
    allow_related: bool = False


@router.post("/moji/analyze")
def analyze(body: TextIn, _: Reader) -> dict[str, Any]:
    """Classify every character, degrade to JIS X 0208 and JIS X 0213, and give the matching key."""
    out: dict[str, Any] = {
        "characters": [
            {"offset": c.offset, "text": c.text, "class": c.char_class.value, "mj": c.mj} for c in classify(body.text)
        ],
        "matching_key": matching_key(body.text),
    }
    for target in ("jisx0208", "jisx0213"):
        report = degrade_text(body.text, target, allow_lookalike=body.allow_lookalike, allow_related=body.allow_related)
        out[target] = {
            "text": report.text,
            "changes": [{"offset": o, "from": d.source, "to": d.target, "table": d.table} for o, d in report.changes],
            "failures": [{"offset": o, "char": d.source, "mj": d.mj} for o, d in report.failures],
        }
    return out


@router.get("/moji/suggest")
def suggestions(
    _: Reader,
    reading: str | None = None,
    radical: str | None = None,
    strokes: Annotated[int | None, Query(ge=1, le=90)] = None,
    similar: Annotated[str | None, Query(max_length=4)] = None,
    ids: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict[str, Any]]:
    """Ranked MJ candidates for an unmapped 外字."""
    found = suggest(reading=reading, radical=radical, strokes=strokes, similar=similar, ids=ids, limit=limit)
    return [{"mj": s.mj, "glyph": s.glyph, "score": s.score, "reasons": list(s.reasons)} for s in found]


# -- per-municipality 外字 mappings -------------------------------------------------------------------


class MappingOut(BaseModel):
    source_system: str
    source_kind: str
    source_code: str
    version: int
    mj_code: str
    glyph: str
    status: str
    reason: str | None
    actor: str
    recorded_at: str


def _out(row: GaijiMapping) -> MappingOut:
    from lgcloud.moji.index import get_index

    rec = get_index().record(row.mj_code)
    return MappingOut(
        source_system=row.source_system,
        source_kind=row.source_kind,
        source_code=row.source_code,
        version=row.version,
        mj_code=row.mj_code,
        glyph=rec.glyph if rec else "",
        status=row.status,
        reason=row.reason,
        actor=row.actor,
        recorded_at=row.recorded_at.isoformat(),
    )


class SourceIn(BaseModel):
    source_system: str = Field(min_length=1, max_length=64)
    source_kind: str = Field(description="pua / cp932 / jplus")
    source_code: str = Field(min_length=1, max_length=16, description="U+E000 / F040 / J+AD1D")
    reason: str | None = Field(default=None, max_length=1000)


class ProposalIn(SourceIn):
    mj_code: str = Field(pattern=r"^(?i:MJ)\d{6}$")


@router.get("/municipalities/{lg_code}/moji/mappings", response_model=list[MappingOut])
def list_mappings(ctx: TenantReader, source_system: str | None = None, status: str | None = None) -> list[MappingOut]:
    with ctx.session() as session:
        return [
            _out(r) for r in service.current_mappings(session, ctx.lg_code, source_system=source_system, status=status)
        ]


@router.get("/municipalities/{lg_code}/moji/mappings/history", response_model=list[MappingOut])
def mapping_history(ctx: TenantReader, source_system: str, source_kind: str, source_code: str) -> list[MappingOut]:
    with ctx.session() as session:
        rows = service.mapping_history(
            session, ctx.lg_code, source_system=source_system, source_kind=source_kind, source_code=source_code
        )
        return [_out(r) for r in rows]


@router.post("/municipalities/{lg_code}/moji/mappings", response_model=MappingOut, status_code=201)
def propose(body: ProposalIn, ctx: TenantManager) -> MappingOut:
    with ctx.session() as session:
        row = service.propose_mapping(
            session, ctx.lg_code, source_system=body.source_system, source_kind=body.source_kind,
            source_code=body.source_code, mj_code=body.mj_code, actor=ctx.principal.name, reason=body.reason,
        )  # fmt: skip
        return _out(row)


@router.post("/municipalities/{lg_code}/moji/mappings/confirm", response_model=MappingOut)
def confirm(body: SourceIn, ctx: TenantManager) -> MappingOut:
    with ctx.session() as session:
        row = service.confirm_mapping(
            session, ctx.lg_code, source_system=body.source_system, source_kind=body.source_kind,
            source_code=body.source_code, actor=ctx.principal.name, reason=body.reason,
        )  # fmt: skip
        return _out(row)


@router.post("/municipalities/{lg_code}/moji/mappings/reject", response_model=MappingOut)
def reject(body: SourceIn, ctx: TenantManager) -> MappingOut:
    with ctx.session() as session:
        row = service.reject_mapping(
            session, ctx.lg_code, source_system=body.source_system, source_kind=body.source_kind,
            source_code=body.source_code, actor=ctx.principal.name, reason=body.reason,
        )  # fmt: skip
        return _out(row)


async def read_upload(file: UploadFile) -> tuple[bytes, str]:
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise LgcloudError("ファイルが大きすぎます (5 MB まで)", code="moji-upload-too-large", status=413)
    name = (file.filename or "").lower()
    kind = "xlsx" if name.endswith(".xlsx") or data[:2] == b"PK" else "csv"
    return data, kind


def import_upload(ctx: TenantContext, data: bytes, kind: str) -> service.ImportReport:
    with ctx.session() as session:
        if kind == "xlsx":
            return service.import_xlsx(session, ctx.lg_code, data, actor=ctx.principal.name)
        return service.import_csv(session, ctx.lg_code, data, actor=ctx.principal.name)


@router.post("/municipalities/{lg_code}/moji/mappings/import")
async def import_mappings(ctx: TenantManager, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    """CSV (UTF-8) or xlsx with columns source_system, source_kind, source_code, mj_code, status, reason."""
    data, kind = await read_upload(file)
    report = import_upload(ctx, data, kind)
    return {"added": report.added, "unchanged": report.unchanged}


def export_response(ctx: TenantContext, fmt: str, source_system: str | None) -> Response:
    with ctx.session() as session:
        if fmt == "xlsx":
            body: bytes = service.export_xlsx(session, ctx.lg_code, source_system=source_system)
            media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            body = service.export_csv(session, ctx.lg_code, source_system=source_system).encode("utf-8-sig")
            media = "text/csv; charset=utf-8"
        ctx.audit(session, "moji.mapping.export", target="moji_gaiji_mappings", detail={"format": fmt})
    filename = f"gaiji-{ctx.lg_code}.{fmt}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/municipalities/{lg_code}/moji/mappings/export")
def export_mappings(
    ctx: TenantReader,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv",
    source_system: str | None = None,
) -> Response:
    return export_response(ctx, format, source_system)
