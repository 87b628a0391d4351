"""The HTML UI: login, the municipality home, the operator console, user admin, the audit view."""

from lgcloud.tenancy.audit import verify_chain


def test_login_reaches_the_municipality_home(login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    client = login_as("clerk")
    page = client.get(f"/m/{tenants.a}/")
    assert page.status_code == 200
    assert "鯖江市" in page.text and "住民検索" in page.text


def test_wrong_password_shows_a_japanese_error_and_is_audited(client, database, tenants) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/login", data={"username": "clerk-182079", "password": "wrong-password"})
    assert response.status_code == 401
    assert "ユーザー名またはパスワードが正しくありません" in response.text
    with database.session(tenants.a) as session:
        assert verify_chain(session, tenants.a).ok
        from lgcloud.tenancy.audit import list_entries

        assert any(e.action == "login" and e.outcome == "failed" for e in list_entries(session, tenants.a))


def test_anonymous_page_redirects_to_login(client, tenants) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/m/{tenants.a}/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_login_does_not_redirect_off_site(client, tenants) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/login",
        data={"username": "clerk-182079", "password": "test-password-123", "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == f"/m/{tenants.a}/"


def test_operator_console_lists_members_without_personal_data(login_as) -> None:  # type: ignore[no-untyped-def]
    page = login_as("operator").get("/operator/")
    assert page.status_code == 200 and "鯖江市" in page.text and "越前市" in page.text


def test_admin_adds_a_user_through_the_form(login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    client = login_as("admin")
    response = client.post(
        f"/m/{tenants.a}/users",
        data={"username": "new-clerk", "password": "long-enough-pw", "role": "clerk", "csrf_token": client.csrf_token},
    )
    assert response.status_code == 200 and "new-clerk" in response.text
    short = client.post(
        f"/m/{tenants.a}/users",
        data={"username": "x", "password": "short", "role": "clerk", "csrf_token": client.csrf_token},
    )
    assert "10文字以上" in short.text


def test_auditor_sees_and_verifies_the_log(login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    page = login_as("auditor").get(f"/m/{tenants.a}/audit?verify=true")
    assert page.status_code == 200 and "検証結果: 正常" in page.text and "user.add" in page.text
    assert "利用者の追加<br>" in page.text and "ログイン<br>" in page.text  # each action also named in Japanese


def test_every_audit_action_in_the_code_has_a_japanese_name() -> None:
    """Action codes written as literals next to the audit calls: a new one without a label fails here."""
    import re
    from pathlib import Path

    import lgcloud
    from lgcloud.tenancy.permissions import Permission
    from lgcloud.web.ui.audit_labels import action_label

    literal = re.compile(r'"((?:resident|certificate|protection|linkage|migration):[a-z][a-z:.-]*[a-z]'
                         r'|(?:audit|group|municipality|user|token|analytics|moji)\.[a-z][a-z.-]*[a-z]'
                         r'|login|permission\.denied)"')
    not_actions = {p.value for p in Permission} | {"linkage:webhook-signing-secret"}
    found = {m for path in Path(lgcloud.__file__).parent.rglob("*.py") if "audit_labels" not in path.name
             for m in literal.findall(path.read_text(encoding="utf-8"))} - not_actions
    found = {a for a in found if not a.endswith((".html", ".db"))}  # template and file names
    assert len(found) > 40
    assert sorted(a for a in found if not action_label(a)) == []
    assert action_label("resident:ido:move_in") == "異動の入力(転入)"


def test_logout_ends_the_session(login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    client = login_as("clerk")
    client.post("/logout", data={"csrf_token": client.csrf_token})
    assert client.get(f"/m/{tenants.a}/", follow_redirects=False).status_code == 303


def test_health_check(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").json() == {"status": "ok"}


def test_admin_disables_a_user_whose_session_then_stops(app, login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    clerk = login_as("clerk")
    admin = login_as("admin")
    response = admin.post(
        f"/m/{tenants.a}/users/clerk-{tenants.a}/active", data={"active": "false", "csrf_token": admin.csrf_token}
    )
    assert response.status_code == 200 and "有効にする" in response.text
    assert clerk.get(f"/m/{tenants.a}/", follow_redirects=False).status_code == 303


def test_admin_issues_and_revokes_a_token_in_the_ui(app, login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    admin = login_as("admin")
    page = admin.post(
        f"/m/{tenants.a}/tokens",
        data={"name": "国保", "scopes": ["resident:read"], "days": "30", "csrf_token": admin.csrf_token},
    )
    token = page.text.split('<code id="new-token">')[1].split("</code>")[0]
    linked = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    assert linked.get("/api/v1/me").json()["lg_code"] == tenants.a
    token_id = token.split("_")[2]
    admin.post(f"/m/{tenants.a}/tokens/{token_id}/revoke", data={"csrf_token": admin.csrf_token})
    assert linked.get("/api/v1/me").status_code == 401


def test_embedded_worker_runs_with_the_app_and_stops_with_it(settings, database) -> None:  # type: ignore[no-untyped-def]
    import threading

    from fastapi.testclient import TestClient

    from lgcloud.web.app import create_app

    app = create_app(settings.model_copy(update={"embedded_worker": True}), database)
    with TestClient(app):
        assert any(t.name == "linkage" and t.is_alive() for t in threading.enumerate())
    assert not any(t.name == "linkage" and t.is_alive() for t in threading.enumerate())


def test_not_found_page_keeps_the_menu_and_shows_japan_time_in_the_audit_log(login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    clerk = login_as("clerk")
    page = clerk.get("/no-such-page")
    assert page.status_code == 404 and "ログアウト" in page.text and "住民検索" in page.text
    audit = login_as("auditor").get(f"/m/{tenants.a}/audit")
    assert "(UTC)" not in audit.text and "+09" not in audit.text
