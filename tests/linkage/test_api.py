"""The linkage API: the feed with tokens, cross-tenant refusal, long poll, schemas, subscriptions, inbox."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient
from linkage_helpers import Clerk

from lgcloud.linkage import handoff
from lgcloud.residents.commands import MoveOut
from lgcloud.residents.events import EventType
from lgcloud.tenancy import services


def _token(database, lg_code: str, *scopes: str) -> str:  # type: ignore[no-untyped-def]
    with database.session(lg_code) as session:
        token, _ = services.create_token(session, lg_code=lg_code, name="国保", scopes=list(scopes))
    return token


def _client(app, token: str) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, raise_server_exceptions=False, headers={"Authorization": f"Bearer {token}"})


def test_feed_with_a_scoped_token(app, database, tenants, clerk: Clerk) -> None:
    clerk.move_in(others=2)
    client = _client(app, _token(database, tenants.a, "resident:read"))
    first = client.get(f"/api/v1/municipalities/{tenants.a}/events", params={"limit": 2})
    assert first.status_code == 200, first.text
    body = first.json()
    assert [e["lgcloudseq"] for e in body["events"]] == [1, 2] and body["next_cursor"] == "2"
    assert 'rel="next"' in first.headers["link"]
    rest = client.get(f"/api/v1/municipalities/{tenants.a}/events", params={"after": body["next_cursor"]}).json()
    assert [e["lgcloudseq"] for e in rest["events"]] == [3] and rest["head"] == "3"
    filtered = client.get(
        f"/api/v1/municipalities/{tenants.a}/events", params={"type": EventType.SHIBOU, "after": "0"}
    ).json()
    assert filtered["events"] == [] and filtered["next_cursor"] == "3"


def test_feed_refuses_other_tenants_wrong_scopes_and_bad_input(app, database, tenants, clerk: Clerk) -> None:
    clerk.move_in()
    path = f"/api/v1/municipalities/{tenants.a}/events"
    b_token = _client(app, _token(database, tenants.b, "resident:read"))
    assert b_token.get(path).status_code == 404  # another municipality: not even confirmed
    no_scope = _client(app, _token(database, tenants.a, "moji:read"))
    assert no_scope.get(path).status_code == 403
    reader = _client(app, _token(database, tenants.a, "resident:read"))
    for params, code in (({"after": "-1"}, "cursor-invalid"), ({"type": "x.y"}, "type-invalid")):
        response = reader.get(path, params=params)
        assert response.status_code == 422 and response.json()["code"] == code
    assert reader.get(path, params={"limit": 0}).status_code == 422
    assert TestClient(app).get(path).status_code == 401


def test_personal_number_only_with_its_scope(app, database, tenants, clerk: Clerk) -> None:
    from linkage_helpers import person

    from lgcloud.residents.commands import AddressInput, MoveIn

    clerk.do(
        MoveIn(
            persons=[person("山田　太郎", "ヤマダ　タロウ", "昭和55年1月2日", "世帯主", mynumber="123456789018")],
            address=AddressInput(address="本町1番地"),
        )
    )
    path = f"/api/v1/municipalities/{tenants.a}/events"
    plain = _client(app, _token(database, tenants.a, "resident:read")).get(path).json()
    assert "個人番号" not in plain["events"][0]["data"]["人"]
    full = _client(app, _token(database, tenants.a, "resident:read", "mynumber:read")).get(path).json()
    assert full["events"][0]["data"]["人"]["個人番号"] == "123456789018"


def test_long_poll_returns_when_an_event_is_committed(app, database, tenants, clerk: Clerk) -> None:
    client = _client(app, _token(database, tenants.a, "resident:read"))
    timer = threading.Timer(0.3, clerk.move_in)
    timer.start()
    started = time.monotonic()
    response = client.get(f"/api/v1/municipalities/{tenants.a}/events", params={"wait": 10})
    timer.join()
    assert [e["lgcloudseq"] for e in response.json()["events"]] == [1]
    assert time.monotonic() - started < 10  # it did not sit out the whole wait
    empty = client.get(f"/api/v1/municipalities/{tenants.a}/events", params={"after": 1, "wait": 0.2})
    assert empty.json() == {"events": [], "next_cursor": "1", "head": "1"}


def test_schemas_are_published(app, login_as) -> None:
    client = login_as("clerk")
    listing = client.get("/api/v1/linkage/schemas").json()
    assert {s["type"] for s in listing} >= {EventType.TENNYU, EventType.TENSHUTSU}
    tennyu = next(s for s in listing if s["type"] == EventType.TENNYU)
    schema = client.get(tennyu["schema_url"])
    assert schema.status_code == 200 and schema.json()["properties"]["type"]["const"] == EventType.TENNYU
    assert client.get("/api/v1/linkage/schemas/jp.lgcloud.nothing").status_code == 404
    assert TestClient(app).get("/api/v1/linkage/schemas").status_code == 401


def test_admin_manages_subscriptions_and_sees_dead_letters(app, tenants, login_as) -> None:
    admin = login_as("admin")
    base = f"/api/v1/municipalities/{tenants.a}/linkage"
    created = admin.post(f"{base}/subscriptions", json={"name": "国保", "url": "http://127.0.0.1:9/hook"})
    assert created.status_code == 201, created.text
    assert created.json()["secret"].startswith("whsec_")
    sub_id = created.json()["sub_id"]
    listed = admin.get(f"{base}/subscriptions").json()
    assert listed[0]["secret"] is None  # shown once only
    assert admin.post(f"{base}/subscriptions/{sub_id}/replay", json={"after": 0}).json()["cursor"] == 0
    assert admin.post(f"{base}/subscriptions/{sub_id}/active", json={"active": False}).json()["active"] is False
    assert admin.post(f"{base}/subscriptions/{sub_id}/retry-dead").json() == {"requeued": 0}
    assert admin.get(f"{base}/deliveries", params={"state": "dead"}).json() == []
    bad = admin.post(f"{base}/subscriptions", json={"name": "x", "url": "javascript:alert(1)"})
    assert bad.status_code == 422 and bad.json()["code"] == "url-invalid"
    assert login_as("clerk").get(f"{base}/subscriptions").status_code == 403
    assert login_as("admin", tenants.b).get(f"{base}/subscriptions").status_code == 404


def test_inbox_over_the_api(app, database, tenants, clerk: Clerk, login_as) -> None:
    from linkage_helpers import person

    from lgcloud.residents.commands import AddressInput, MoveIn

    family = clerk.do(
        MoveIn(
            persons=[person("山田　太郎", "ヤマダ　タロウ", "昭和55年1月2日", "世帯主", mynumber="123456789018")],
            address=AddressInput(address="本町1番地"),
        )
    )
    clerk.do(MoveOut(atena_nos=[family.rows[0].atena_no], move_out_to="福井県越前市府中1番", ido_date="2025-07-01"))
    handoff.scan(database, tenants.a)
    clerk_b = login_as("clerk", tenants.b)
    (item,) = clerk_b.get(f"/api/v1/municipalities/{tenants.b}/linkage/inbox").json()
    assert item["payload"]["異動者"][0]["入力"]["mynumber"] == "************"  # clerks see it masked
    assert login_as("clerk").get(f"/api/v1/municipalities/{tenants.b}/linkage/inbox").status_code == 404
    done = clerk_b.post(
        f"/api/v1/municipalities/{tenants.b}/linkage/inbox/{item['item_id']}/complete",
        json={"address": {"address": "府中一丁目1番"}},
    )
    assert done.status_code == 200, done.text
    again = clerk_b.post(
        f"/api/v1/municipalities/{tenants.b}/linkage/inbox/{item['item_id']}/complete",
        json={"address": {"address": "府中一丁目1番"}},
    )
    assert again.status_code == 409


def test_files_over_the_api(app, database, tenants, clerk: Clerk, login_as) -> None:
    import hashlib

    clerk.move_in(others=1)
    admin = login_as("admin")
    base = f"/api/v1/municipalities/{tenants.a}/linkage/files"
    created = admin.post(f"{base}/full")
    assert created.status_code == 201, created.text
    export = created.json()
    assert "directory" not in export and export["rows"] == 2
    assert [e["export_id"] for e in admin.get(base).json()] == [export["export_id"]]
    manifest = admin.get(f"{base}/{export['export_id']}/manifest.json").json()
    person = next(f for f in manifest["files"] if f["name"] == "person.csv")
    data = admin.get(f"{base}/{export['export_id']}/person.csv").content
    assert hashlib.sha256(data).hexdigest() == person["sha256"]
    assert admin.get(f"{base}/{export['export_id']}/..%2Fmanifest.json").status_code == 404
    assert login_as("admin", tenants.b).get(f"{base}/{export['export_id']}/person.csv").status_code == 404
    assert login_as("clerk").post(f"{base}/full").status_code == 403
