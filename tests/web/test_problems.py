"""Bad input gets a 4xx problem document with a reason, and changes nothing; never a 500."""

import pytest
from sqlalchemy import func, select

from lgcloud.tenancy.models import Municipality


def _is_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["detail"] and body["code"] and body["title"]
    return body


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ('{"lg_code": "182', 400, "malformed-json"),
        ('{"lg_code": 182087}', 422, "validation-failed"),  # wrong type
        ('{"lg_code": "18207"}', 422, "validation-failed"),  # wrong length
        ('{"lg_code": "182078"}', 422, "lgcode-check-digit"),
        ('{"lg_code": "999997"}', 422, "lgcode-unknown"),
        ('{"lg_code": "011011"}', 422, "lgcode-unknown"),  # a ward is not a municipality
        ('{"lg_code": "182079"}', 409, "already-member"),
        ("[]", 422, "validation-failed"),
    ],
)
def test_add_municipality_bad_input(login_as, database, payload, status, code) -> None:  # type: ignore[no-untyped-def]
    client = login_as("operator")
    with database.session() as session:
        before = session.execute(select(func.count()).select_from(Municipality)).scalar_one()
    response = client.post("/api/v1/municipalities", content=payload, headers={"content-type": "application/json"})
    assert _is_problem(response, status)["code"] == code
    with database.session() as session:
        assert session.execute(select(func.count()).select_from(Municipality)).scalar_one() == before


def test_operator_adds_a_real_municipality(login_as) -> None:  # type: ignore[no-untyped-def]
    response = login_as("operator").post("/api/v1/municipalities", json={"lg_code": "183229"})
    assert response.status_code == 201
    assert response.json()["name"] == "永平寺町"


def test_token_bad_input_is_a_problem(login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    client = login_as("admin")
    url = f"/api/v1/municipalities/{tenants.a}/tokens"
    assert _is_problem(client.post(url, json={"name": "x", "scopes": ["nope"]}), 422)["code"] == "scope-invalid"
    assert _is_problem(client.post(url, json={"name": "x", "scopes": "resident:read"}), 422)
    assert _is_problem(client.post(url, json={"name": "x", "scopes": ["resident:read"], "days": 0}), 422)


def test_unknown_route_and_method_are_problems(client) -> None:  # type: ignore[no-untyped-def]
    _is_problem(client.get("/api/v1/no-such-thing"), 404)
    _is_problem(client.delete("/api/v1/me"), 405)


def test_bad_bearer_token_is_401(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert _is_problem(response, 401)["code"] == "token-invalid"


def test_cookie_writes_need_the_csrf_token(login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    client = login_as("admin")
    del client.headers["X-CSRF-Token"]
    response = client.post(
        f"/api/v1/municipalities/{tenants.a}/tokens", json={"name": "x", "scopes": ["resident:read"]}
    )
    assert _is_problem(response, 403)["code"] == "csrf"
