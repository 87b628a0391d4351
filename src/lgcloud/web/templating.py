"""Jinja2 templates shared by every UI module (templates live in web/ui/templates/<package>/)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from lgcloud.db.base import as_utc

TEMPLATE_DIR = Path(__file__).parent / "ui" / "templates"
templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
JST = timezone(timedelta(hours=9), "JST")


def to_jst(value: str | datetime | None) -> str:
    """Stored times are UTC (ISO text or datetime); people read Japan time."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return as_utc(moment).astimezone(JST).strftime("%Y-%m-%d %H:%M:%S")


templates.env.filters["jst"] = to_jst


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render a page with the signed-in principal and its CSRF token available to every template."""
    base = {
        "principal": getattr(request.state, "principal", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
    }
    return templates.TemplateResponse(request, name, {**base, **(context or {})}, status_code=status_code)
