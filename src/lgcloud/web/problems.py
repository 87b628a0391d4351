"""RFC 7807 problem details for the API; an error page for the HTML UI."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from lgcloud.errors import LgcloudError
from lgcloud.logging import get_logger

PROBLEM_JSON = "application/problem+json"
TITLES = {
    400: "不正なリクエスト",
    401: "認証が必要です",
    403: "権限がありません",
    404: "見つかりません",
    405: "許可されていないメソッドです",
    409: "競合しています",
    413: "リクエストが大きすぎます",
    415: "未対応の形式です",
    422: "入力内容に誤りがあります",
    423: "ロックされています",
    429: "リクエストが多すぎます",
    500: "内部エラー",
}
log = get_logger(__name__)


def problem(status: int, detail: str, code: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"https://lgcloud.jp/problems/{code}",
        "title": TITLES.get(status, "エラー"),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


async def _with_principal(request: Request) -> None:
    """An error page keeps the signed-in user's menu, also where no route (and so no guard) ran."""
    if wants_html(request) and not hasattr(request.state, "principal"):
        from lgcloud.web.deps import current_principal

        try:
            await run_in_threadpool(current_principal, request)
        except LgcloudError:
            request.state.principal = None


def _render_error(request: Request, status: int, detail: str, code: str, **extra: Any) -> Response:
    if wants_html(request) and status == 401:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    if wants_html(request):
        from lgcloud.web.templating import render

        return render(
            request,
            "error.html",
            {"status": status, "title": TITLES.get(status, "エラー"), "detail": detail, "code": code},
            status_code=status,
        )
    return problem(status, detail, code, **extra)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(LgcloudError)
    async def domain_error(request: Request, exc: LgcloudError) -> Response:
        return _render_error(request, exc.status, exc.message, exc.code, **_jsonable(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = _validation_errors(exc)
        if any(err["type"] == "json_invalid" for err in errors):
            return _render_error(request, 400, "JSONの形式が正しくありません", "malformed-json", errors=errors)
        return _render_error(request, 422, "入力内容に誤りがあります", "validation-failed", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        await _with_principal(request)
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "エラー")
        response = _render_error(request, exc.status_code, detail, f"http-{exc.status_code}")
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", path=request.url.path)
        return _render_error(request, 500, "予期しないエラーが発生しました。管理者に連絡してください。", "internal")


def _jsonable(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool | list | dict | type(None)) else str(v)
        for k, v in detail.items()
    }
