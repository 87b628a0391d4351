"""JSON API for data migration: upload and import, jobs and their progress, reports, quarantine, export.

Every route is ``/municipalities/{lg_code}/migration/…`` guarded by ``tenant_access(Permission.MIGRATION_RUN)``:
only the municipality's own staff holding the permission (its admin). Job status and the summary carry
counts and checksums only; the report, quarantine and export downloads contain personal data and are audited.
The operator (``group:operate``) lists the group's jobs and starts a member's import (``/migration/…``),
seeing counts only.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile, status
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from lgcloud.db import Database
from lgcloud.errors import LgcloudError, NotFound
from lgcloud.migration import exporter, importer, jobs, reconcile
from lgcloud.tenancy import services
from lgcloud.tenancy.permissions import Permission
from lgcloud.tenancy.principal import Principal
from lgcloud.web.deps import TenantContext, client_ip, get_db, require_permission, tenant_access

router = APIRouter(tags=["migration"])

Ctx = Annotated[TenantContext, Depends(tenant_access(Permission.MIGRATION_RUN))]
MAX_FILES = 10
JobOut = dict[str, Any]


class UploadError(LgcloudError):
    status = 400
    code = "migration-upload-invalid"


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def migration_root(request: Request) -> Path:
    return Path(request.app.state.settings.data_dir) / "migration"


def _save_uploads(root: Path, files: list[UploadFile]) -> tuple[Path, list[Path]]:
    if not files:
        raise UploadError("移行ファイルを選んでください", code="migration-no-files")
    if len(files) > MAX_FILES:
        raise UploadError(f"一度に送れるファイルは {MAX_FILES} 個までです", code="migration-too-many-files")
    folder = root / "uploads" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    paths = []
    try:
        for upload in files:
            name = Path(upload.filename or "").name
            if not name or name.startswith("."):
                raise UploadError("ファイル名がありません", code="migration-bad-filename")
            target = folder / name
            if target.exists():
                raise UploadError(f"同じ名前のファイルが複数あります: {name}", code="migration-duplicate-file")
            with target.open("wb") as out:
                shutil.copyfileobj(upload.file, out, 1 << 20)
            if target.stat().st_size == 0:
                raise UploadError(f"ファイル {name} は空です", code="migration-empty-file")
            paths.append(target)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder, paths


def start_import(
    request: Request,
    ctx: TenantContext,
    files: list[UploadFile],
    *,
    dialect: str | None,
    encoding: str | None,
    source_system: str | None,
) -> jobs.Job:
    """Save the uploads, check them (names, layout, dialect) and start the job in the background."""
    root = migration_root(request)
    folder, paths = _save_uploads(root, files)
    try:
        req = importer.ImportRequest(
            ctx.lg_code,
            paths,
            root,
            dialect=dialect or None,
            encoding=encoding or None,
            source_system=source_system or None,
            actor=ctx.principal.name,
            discard_inputs=True,
        )
        job = importer.prepare(ctx.db, req)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if not any(str(folder) in f["path"] for f in job.files):  # the same files were imported before
        shutil.rmtree(folder, ignore_errors=True)
    with ctx.session() as session:
        ctx.audit(
            session,
            "migration:import.start",
            target=job.job_id,
            detail={"files": [f["name"] for f in job.files], "bytes": job.bytes_total},
        )
    jobs.start_in_thread(ctx.db, ctx.lg_code, job.job_id)
    return job


class ExportIn(BaseModel):
    layout: str = "juki"
    dialect: str | None = None
    encoding: str | None = None
    since: int | None = Field(default=None, ge=0, description="差分: この異動番号より後の変更")
    unencodable: str = Field(default="error", pattern="^(error|degrade|vendor)$")
    source_system: str | None = None


def start_export(ctx: TenantContext, request: Request, body: ExportIn) -> jobs.Job:
    from datetime import UTC, datetime

    from lgcloud.layout import load_layout, resolve_dialect

    layout = load_layout(body.layout)
    resolve_dialect(layout.dialects, body.dialect, encoding=body.encoding)  # refuse a bad option now
    options = body.model_dump()
    stamp = datetime.now(UTC).isoformat()
    job_id = jobs.derive_job_id("export", ctx.lg_code, body.layout, options, [stamp])
    root = migration_root(request)
    with ctx.session() as session:
        job = jobs.create(
            session,
            lg_code=ctx.lg_code,
            job_id=job_id,
            kind="export",
            layout=body.layout,
            options=options,
            files=[],
            work_dir=root / ctx.lg_code / job_id,
            actor=ctx.principal.name,
        )
        ctx.audit(session, "migration:export.start", target=job_id, detail=options)
    jobs.start_in_thread(ctx.db, ctx.lg_code, job.job_id)
    return job


def load_job(ctx: TenantContext, job_id: str) -> jobs.Job:
    with ctx.session() as session:
        return jobs.get(session, ctx.lg_code, job_id)


def download_dir(ctx: TenantContext, job: jobs.Job, sub: str, action: str) -> Response:
    """The job's ``sub`` folder as a ZIP: the export job wrote it; the quarantine's is written on first download."""
    folder = job.work_dir / sub
    if job.state != "done" or not folder.is_dir():
        raise NotFound("ダウンロードできるファイルはまだありません", code="migration-not-ready")
    archive = jobs.archive(folder, job.work_dir / f"{sub}.zip")
    with ctx.session() as session:
        ctx.audit(session, action, target=job.job_id)
    return FileResponse(archive, media_type="application/zip", filename=f"{job.job_id}-{sub}.zip")


# ------------------------------------------------------------------------------------------ routes


Operator = Annotated[Principal, Depends(require_permission(Permission.GROUP_OPERATE))]


def member_jobs(db: Database, lg_codes: list[str]) -> list[jobs.Job]:
    """The migration jobs of these municipalities, each read in its own tenant context."""
    found: list[jobs.Job] = []
    for lg_code in lg_codes:
        with db.session(lg_code) as session:
            found += jobs.list_jobs(session, lg_code)
    return found


def operator_context(request: Request, principal: Principal, lg_code: str) -> TenantContext:
    """The operator acting for a member municipality in a migration: starting its import (writing, never
    reading records); the municipality's audit chain records who did it."""
    with get_db(request).session() as session:
        services.require_member(session, principal.group_id, lg_code)
    return TenantContext(lg_code=lg_code, principal=principal, db=get_db(request), source_ip=client_ip(request))


@router.get("/migration/jobs")
def group_jobs(request: Request, principal: Operator) -> list[JobOut]:
    """The operator's view: every migration job of the group's municipalities — counts and checksums only."""
    with get_db(request).session() as session:
        members = [m.lg_code for m, _g in services.list_municipalities(session, principal.group_id)]
    return [j.public() for j in member_jobs(get_db(request), members)]


@router.post("/migration/imports", status_code=status.HTTP_202_ACCEPTED)
def operator_import(
    request: Request,
    principal: Operator,
    lg_code: Annotated[str, Form(description="取り込む構成団体の全国地方公共団体コード")],
    files: Annotated[list[UploadFile], File(description="住民・外国人・世帯の移行ファイル")],
    dialect: Annotated[str | None, Form()] = None,
    encoding: Annotated[str | None, Form()] = None,
    source_system: Annotated[str | None, Form()] = None,
) -> JobOut:
    """The operator starts a member municipality's import (e.g. files handed over by the previous vendor);
    it sees the job's counts, the municipality's admin its report and quarantine."""
    ctx = operator_context(request, principal, lg_code)
    job = start_import(request, ctx, files, dialect=dialect, encoding=encoding, source_system=source_system)
    return job.public()


@router.get("/municipalities/{lg_code}/migration/jobs")
def list_jobs(ctx: Ctx) -> list[JobOut]:
    with ctx.session() as session:
        return [j.public() for j in jobs.list_jobs(session, ctx.lg_code)]


@router.post("/municipalities/{lg_code}/migration/imports", status_code=status.HTTP_202_ACCEPTED)
def create_import(
    request: Request,
    ctx: Ctx,
    files: Annotated[list[UploadFile], File(description="住民・外国人・世帯の移行ファイル")],
    dialect: Annotated[str | None, Form()] = None,
    encoding: Annotated[str | None, Form()] = None,
    source_system: Annotated[str | None, Form()] = None,
) -> JobOut:
    return start_import(request, ctx, files, dialect=dialect, encoding=encoding, source_system=source_system).public()


@router.post("/municipalities/{lg_code}/migration/exports", status_code=status.HTTP_202_ACCEPTED)
def create_export(request: Request, ctx: Ctx, body: ExportIn) -> JobOut:
    return start_export(ctx, request, body).public()


@router.get("/municipalities/{lg_code}/migration/jobs/{job_id}")
def get_job(job_id: str, ctx: Ctx) -> JobOut:
    job = load_job(ctx, job_id)
    return {**job.public(), "summary": job.summary}


@router.post("/municipalities/{lg_code}/migration/jobs/{job_id}/resume", status_code=status.HTTP_202_ACCEPTED)
def resume_job(job_id: str, ctx: Ctx) -> JobOut:
    job = load_job(ctx, job_id)
    if job.state != "done":
        jobs.start_in_thread(ctx.db, ctx.lg_code, job.job_id)
    return job.public()


@router.get("/municipalities/{lg_code}/migration/jobs/{job_id}/report.json")
def report_json(job_id: str, ctx: Ctx) -> Response:
    return _report_file(ctx, load_job(ctx, job_id), "report.json", "application/json")


@router.get("/municipalities/{lg_code}/migration/jobs/{job_id}/report.html")
def report_html(job_id: str, ctx: Ctx) -> Response:
    return _report_file(ctx, load_job(ctx, job_id), "report.html", "text/html; charset=utf-8")


@router.get("/municipalities/{lg_code}/migration/jobs/{job_id}/report.xlsx")
def report_xlsx(job_id: str, ctx: Ctx) -> Response:
    """The summary and every quarantined record's reasons (with their values, so the download is audited);
    written on the first download."""
    job = load_job(ctx, job_id)
    if job.kind != "import" or reconcile.xlsx_report(job) is None:
        raise NotFound("レポートはまだありません", code="migration-not-ready")
    response = _report_file(ctx, job, "report.xlsx", XLSX)
    with ctx.session() as session:
        ctx.audit(session, "migration:report.download", target=job.job_id)
    response.headers["content-disposition"] = f'attachment; filename="{job.job_id}-report.xlsx"'
    return response


def _report_file(ctx: TenantContext, job: jobs.Job, name: str, media_type: str) -> Response:
    path = job.work_dir / name
    if not path.is_file():
        raise NotFound("レポートはまだありません", code="migration-not-ready")
    return FileResponse(path, media_type=media_type)


@router.get("/municipalities/{lg_code}/migration/jobs/{job_id}/quarantine.zip")
def quarantine_zip(job_id: str, ctx: Ctx) -> Response:
    return download_dir(ctx, load_job(ctx, job_id), "quarantine", "migration:quarantine.download")


@router.get("/municipalities/{lg_code}/migration/jobs/{job_id}/export.zip")
def export_zip(job_id: str, ctx: Ctx) -> Response:
    job = load_job(ctx, job_id)
    if job.kind != "export":
        raise NotFound("出力ジョブではありません", code="migration-not-export")
    return download_dir(ctx, job, "export", "migration:export.download")


__all__ = ["ExportIn", "exporter", "router", "start_export", "start_import"]
