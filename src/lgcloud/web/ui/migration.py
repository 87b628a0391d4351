"""データ移行 pages: upload and import, watch a job (htmx polling), read the report, downloads, export.

Forms post with htmx (the CSRF header comes from ``base.html``); the job page polls a small partial every
second while the job runs. Downloads are the JSON API's routes (same session cookie, same guard).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from lgcloud.errors import LgcloudError
from lgcloud.layout import load_layout
from lgcloud.migration import jobs
from lgcloud.migration.reconcile import rule_title
from lgcloud.moji.service import source_systems
from lgcloud.tenancy.permissions import Permission
from lgcloud.web.api.migration import ExportIn, load_job, start_export, start_import
from lgcloud.web.deps import TenantContext, check_csrf, tenant_access
from lgcloud.web.templating import render

router = APIRouter(include_in_schema=False)

Ctx = Annotated[TenantContext, Depends(tenant_access(Permission.MIGRATION_RUN))]


def _page(request: Request, ctx: TenantContext, error: str | None = None, status_code: int = 200) -> Response:
    layout = load_layout("juki")
    with ctx.session() as session:
        items = jobs.list_jobs(session, ctx.lg_code)
        systems = source_systems(session, ctx.lg_code)
    dialects = [(name, _dialect_label(spec)) for name, spec in sorted(layout.dialects.items()) if name != "default"]
    return render(request, "migration/index.html", {
        "lg_code": ctx.lg_code, "jobs": items, "dialects": dialects, "default_dialect":
        _dialect_label(layout.dialects["default"]), "source_systems": systems, "error": error,
        "files": [(f.name, f.title, ", ".join(f.match)) for f in layout.files]}, status_code=status_code)


def _dialect_label(spec: dict[str, Any]) -> str:
    """What a clerk recognises a source's files by: its own description, or encoding, format and header."""
    if spec.get("description"):
        return str(spec["description"])
    header = "見出しあり" if spec.get("header", True) else "見出しなし"
    return f"{spec.get('encoding', '')} の {str(spec.get('format', 'csv')).upper()}({header})"


def _redirect(url: str) -> Response:
    return Response(status_code=204, headers={"HX-Redirect": url})


@router.get("/m/{lg_code}/migration", response_class=HTMLResponse)
def migration_page(request: Request, ctx: Ctx) -> Response:
    return _page(request, ctx)


@router.post("/m/{lg_code}/migration/import", response_class=HTMLResponse)
def import_form(
    request: Request,
    ctx: Ctx,
    files: Annotated[list[UploadFile], File()],
    dialect: Annotated[str, Form()] = "",
    encoding: Annotated[str, Form()] = "",
    source_system: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        job = start_import(request, ctx, files, dialect=dialect, encoding=encoding, source_system=source_system)
    except LgcloudError as exc:
        return render(request, "migration/_error.html", {"error": exc.message}, status_code=exc.status)
    return _redirect(f"/m/{ctx.lg_code}/migration/jobs/{job.job_id}")


@router.post("/m/{lg_code}/migration/export", response_class=HTMLResponse)
def export_form(
    request: Request,
    ctx: Ctx,
    encoding: Annotated[str, Form()] = "",
    dialect: Annotated[str, Form()] = "",
    since: Annotated[str, Form()] = "",
    unencodable: Annotated[str, Form()] = "error",
    source_system: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        body = ExportIn(dialect=dialect or None, encoding=encoding or None,
                        since=int(since) if since.strip() else None,
                        unencodable=unencodable, source_system=source_system or None)
        job = start_export(ctx, request, body)
    except (LgcloudError, ValueError) as exc:
        message = exc.message if isinstance(exc, LgcloudError) else "出力の指定に誤りがあります"
        return render(request, "migration/_error.html", {"error": message}, status_code=422)
    return _redirect(f"/m/{ctx.lg_code}/migration/jobs/{job.job_id}")


@router.get("/m/{lg_code}/migration/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str, ctx: Ctx) -> Response:
    job = load_job(ctx, job_id)
    return render(request, "migration/job.html", {"lg_code": ctx.lg_code, "job": job, "rule_title": rule_title})


@router.get("/m/{lg_code}/migration/jobs/{job_id}/progress", response_class=HTMLResponse)
def job_progress(request: Request, job_id: str, ctx: Ctx) -> Response:
    job = load_job(ctx, job_id)
    return render(request, "migration/_progress.html", {"lg_code": ctx.lg_code, "job": job,
                                                         "rule_title": rule_title})
