"""The JSON API: 異動 in, problem JSON out, search and person views, 個人番号 masking."""

from __future__ import annotations

from typing import Any

from residents_desk import family_persons

from lgcloud.residents.model import HEAD


def move_in_body() -> dict[str, Any]:
    return {
        "command": {
            "kind": "move_in",
            "ido_date": "2025-04-01",
            "persons": [p.model_dump(mode="json", exclude_none=True) for p in family_persons()],
            "address": {"address": "本町一丁目1番地"},
        }
    }


def test_move_in_search_view_and_rule_error(clerk_client, municipality: str) -> None:  # type: ignore[no-untyped-def]
    base = f"/api/v1/municipalities/{municipality}"
    created = clerk_client.post(f"{base}/residents/ido", json=move_in_body())
    assert created.status_code == 201, created.text
    rows = created.json()["rows"]
    head = rows[0]["person"]["atena_no"]
    assert rows[0]["person"]["mynumber"] == "************"
    assert created.json()["ido"]["reason"] == "国内転入"

    found = clerk_client.get(f"{base}/residents", params={"kana": "やまだ　たろう"})
    assert [i["person"]["atena_no"] for i in found.json()["items"]] == [head]

    person = clerk_client.get(f"{base}/residents/{head}", params={"show_mynumber": "true"}).json()
    assert person["current"]["person"]["mynumber"] == "************"  # clerks lack MYNUMBER_READ
    assert [r["rireki_no"] for r in person["history"]] == [1]
    assert len(person["household"]) == 3

    refused = clerk_client.post(
        f"{base}/residents/ido",
        json={"command": {"kind": "move_out", "atena_nos": [head], "move_out_to": "東京都港区1"}},
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "head-change-required"

    bad = clerk_client.post(f"{base}/residents/ido", json={"command": {"kind": "move_out"}})
    assert bad.status_code == 422
    assert clerk_client.get(f"{base}/residents").status_code == 422  # no search key


def test_supervisor_may_search_and_see_mynumber(login_as, municipality: str) -> None:  # type: ignore[no-untyped-def]
    base = f"/api/v1/municipalities/{municipality}"
    supervisor = login_as("supervisor")
    assert supervisor.post(f"{base}/residents/ido", json=move_in_body()).status_code == 201
    found = supervisor.get(f"{base}/residents", params={"mynumber": "123456789018"}).json()["items"]
    assert found[0]["person"]["zokugara"] == HEAD
    head = found[0]["person"]["atena_no"]
    view = supervisor.get(f"{base}/residents/{head}", params={"show_mynumber": "true"}).json()
    assert view["current"]["person"]["mynumber"] == "123456789018"
    clerk = login_as("clerk")
    assert clerk.get(f"{base}/residents", params={"mynumber": "123456789018"}).status_code == 403


def test_other_municipality_is_not_found(login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    other = login_as("clerk", tenants.b)
    response = other.get(f"/api/v1/municipalities/{tenants.a}/residents", params={"kana": "ヤマダ"})
    assert response.status_code == 404
