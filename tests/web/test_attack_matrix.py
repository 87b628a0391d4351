"""Tenant attack matrix: every route that takes municipality data refuses every other principal.

Routes are enumerated from the application, so a new route joins the matrix by existing; a route
that is neither tenant-guarded nor explicitly platform-level fails ``test_every_route_is_guarded``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from lgcloud.tenancy import services
from lgcloud.tenancy.models import AuditEntry
from lgcloud.tenancy.permissions import Permission, permissions_of
from lgcloud.web.app import iter_routes
from lgcloud.web.deps import current_principal, require_login

#: Routes anyone may call (the login form itself, the static files, the API description).
PUBLIC_ROUTES = {"/", "/healthz", "/login", "/logout", "/api/v1/openapi.json", "/api/v1/docs"}
PLACEHOLDER = re.compile(r"\{(\w+)(?::\w+)?\}")


def _dependency_calls(dependant) -> Iterator[Callable]:  # type: ignore[no-untyped-def]
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _dependency_calls(sub)


def _tenant_permission(route: APIRoute) -> tuple[bool, Permission | None]:
    for call in _dependency_calls(route.dependant):
        if hasattr(call, "lgcloud_tenant_permission"):
            return True, call.lgcloud_tenant_permission
    return False, None


def _is_guarded(route: APIRoute) -> bool:
    return any(
        hasattr(call, "lgcloud_tenant_permission") or hasattr(call, "lgcloud_permission") or call is require_login
        for call in _dependency_calls(route.dependant)
    )


def _routes(app) -> list[tuple[str, APIRoute]]:  # type: ignore[no-untyped-def]
    return list(iter_routes(app))


def _tenant_requests(app, lg_code: str) -> list[tuple[str, str, Permission | None]]:  # type: ignore[no-untyped-def]
    found = []
    for full_path, route in _routes(app):
        if "{lg_code}" not in full_path:
            continue
        _, permission = _tenant_permission(route)
        path = PLACEHOLDER.sub(lambda m: lg_code if m.group(1) == "lg_code" else "1", full_path)
        found.extend((method, path, permission) for method in sorted(route.methods - {"HEAD"}))
    return found


def test_every_route_is_guarded(app) -> None:  # type: ignore[no-untyped-def]
    unguarded = [path for path, r in _routes(app) if path not in PUBLIC_ROUTES and not _is_guarded(r)]
    assert unguarded == []
    tenant_paths_without_tenant_guard = [
        path for path, r in _routes(app) if "{lg_code}" in path and not _tenant_permission(r)[0]
    ]
    assert tenant_paths_without_tenant_guard == []
    assert current_principal  # the guard functions exist and are what the routes use


def _audit_count(database, lg_code: str) -> int:  # type: ignore[no-untyped-def]
    with database.session(lg_code) as session:
        return session.execute(select(func.count()).where(AuditEntry.lg_code == lg_code)).scalar_one()


def _send(client, method: str, path: str):  # type: ignore[no-untyped-def]
    return client.request(method, path, json={}, follow_redirects=False)


def _assert_refused(response, a_name: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code in (403, 404), (response.status_code, response.text[:300])
    assert a_name not in response.text


def test_other_municipality_staff_are_refused_everywhere(app, database, tenants, login_as) -> None:  # type: ignore[no-untyped-def]
    requests = _tenant_requests(app, tenants.a)
    assert len(requests) >= 8  # the matrix really covers the application
    before = _audit_count(database, tenants.a)
    for role in ("admin", "clerk", "supervisor", "auditor"):
        client = login_as(role, tenants.b)
        for method, path, _ in requests:
            _assert_refused(_send(client, method, path), "鯖江")
    assert _audit_count(database, tenants.a) == before  # nothing of A was read or written


def test_other_municipality_tokens_are_refused_everywhere(app, database, tenants) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with database.session(tenants.b) as session:
        token, _ = services.create_token(
            session, lg_code=tenants.b, name="全権限", scopes=sorted(services.TOKEN_SCOPES)
        )
    client = TestClient(app, raise_server_exceptions=False, headers={"Authorization": f"Bearer {token}"})
    # A token claiming A's code in its text but with B's secret is refused too.
    forged = TestClient(
        app,
        raise_server_exceptions=False,
        headers={"Authorization": f"Bearer {token.replace(tenants.b, tenants.a, 1)}"},
    )
    before = _audit_count(database, tenants.a)
    for method, path, _ in _tenant_requests(app, tenants.a):
        _assert_refused(_send(client, method, path), "鯖江")
        assert _send(forged, method, path).status_code in (401, 303)  # 303: the UI sends it to /login
    assert _audit_count(database, tenants.a) == before + len(_tenant_requests(app, tenants.a))  # forged: audited


def test_operator_is_refused_on_every_tenant_route(app, tenants, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as("operator")
    for method, path, _ in _tenant_requests(app, tenants.a):
        _assert_refused(_send(client, method, path), "鯖江市の住民")


def test_anonymous_is_refused(app, tenants, client) -> None:  # type: ignore[no-untyped-def]
    for method, path, _ in _tenant_requests(app, tenants.a):
        response = _send(client, method, path)
        expected = 401 if path.startswith("/api/") else 303
        assert response.status_code == expected, (method, path, response.status_code)


@pytest.mark.parametrize("role", ["admin", "clerk", "supervisor", "auditor"])
def test_own_staff_without_the_permission_get_403(app, tenants, login_as, role) -> None:  # type: ignore[no-untyped-def]
    client = login_as(role, tenants.a)
    principal_permissions = {p.value for p in permissions_of(role)}
    for method, path, permission in _tenant_requests(app, tenants.a):
        if permission is not None and permission.value not in principal_permissions:
            assert _send(client, method, path).status_code == 403, (role, method, path)
