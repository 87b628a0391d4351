"""The FastAPI application: JSON API under /api/v1, Japanese HTML UI, one set of services.

Every module in ``lgcloud.web.api`` and ``lgcloud.web.ui`` that defines ``router`` is included,
so a capability adds routes by adding a module; the tenant attack matrix then finds them.
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import lgcloud
from lgcloud.config import DEV_SECRET_KEY, Settings, get_settings
from lgcloud.db import Database
from lgcloud.logging import configure_logging, get_logger
from lgcloud.web import api, ui
from lgcloud.web.problems import install_problem_handlers

log = get_logger("lgcloud.web")
STATIC_DIR = Path(__file__).parent / "ui" / "static"


def _routers(package: object) -> list[APIRouter]:
    found = []
    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):  # type: ignore[attr-defined]
        loaded = importlib.import_module(f"{package.__name__}.{module.name}")  # type: ignore[attr-defined]
        if isinstance(getattr(loaded, "router", None), APIRouter):
            found.append(loaded.router)
    return found


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    from lgcloud.linkage.signal import FeedWakeups

    settings: Settings = app.state.settings
    app.state.feed_wakeups = FeedWakeups(app.state.database)
    app.state.feed_wakeups.start()  # long polls wait for NOTIFY instead of reading in a loop (PostgreSQL)
    worker = None
    if settings.embedded_worker:
        from lgcloud.linkage.worker import policy_for, start_embedded

        policy = policy_for(settings.webhook_allow_networks)
        worker = start_embedded(app.state.database, settings.data_dir / "linkage", policy=policy)
    yield
    if worker is not None:
        worker.stop()
    await app.state.feed_wakeups.stop()


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_format, settings.log_level)
    app = FastAPI(
        lifespan=_lifespan,
        title="lgcloud API",
        version=lgcloud.__version__,
        description="自治体クラウド lgcloud の API。エラーは RFC 7807 (application/problem+json) で返します。",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    if settings.secret_key == DEV_SECRET_KEY and settings.is_postgresql:
        log.warning("LGCLOUD_SECRET_KEY is the development default; certificate codes can be forged")
    app.state.database = database or Database.from_settings(settings)
    install_problem_handlers(app)
    app.add_middleware(RequestLog)
    app.get("/healthz", include_in_schema=False)(healthz)
    for router in _routers(api):
        app.include_router(router, prefix="/api/v1")
    for router in _routers(ui):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    return app


class RequestLog:
    """One structured line per request; never the query string (it may carry search terms).

    Plain ASGI: Starlette's BaseHTTPMiddleware runs every response through an extra task and stream,
    a noticeable share of a small API request (the PULL feed serves many)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            ms = round((time.perf_counter() - started) * 1000, 1)
            log.info("request", method=scope["method"], path=scope["path"], status=status, ms=ms)


def healthz(request: Request) -> dict[str, str]:
    """For load balancers: the process is up and its database answers."""
    with request.app.state.database.session() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok"}


def iter_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """Every endpoint with its full path (FastAPI ≥ 0.16x keeps included routers as lazy branches)."""
    for route in app.routes:
        if isinstance(route, APIRoute):
            yield route.path, route
        elif hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                if isinstance(context.original_route, APIRoute):
                    yield context.path, context.original_route
