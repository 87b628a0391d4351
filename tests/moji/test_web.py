"""The moji API and the 文字コード照会 page."""

from __future__ import annotations

from pathlib import Path

from lgcloud.web.ui.moji import FONT_CANDIDATES

SYSTEM = "旧住記(A社)"


def test_api_lookup_and_analyze(login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    clerk = login_as("clerk")
    found = clerk.get("/api/v1/moji/lookup", params={"q": "J+AD1D"})
    assert found.status_code == 200 and found.json()["record"]["mj"] == "MJ000001"
    assert clerk.get("/api/v1/moji/lookup", params={"q": "MJ999999"}).status_code == 404
    analyzed = clerk.post("/api/v1/moji/analyze", json={"text": "髙橋﨔\ue000"}).json()
    assert [c["class"] for c in analyzed["characters"]] == ["mj", "jisx0208", "jisx0213", "pua"]
    assert analyzed["jisx0208"]["text"].startswith("高橋")
    assert [f["offset"] for f in analyzed["jisx0208"]["failures"]] == [2, 3]
    assert analyzed["matching_key"].startswith("高橋")
    top = clerk.get("/api/v1/moji/suggest", params={"ids": "⿰山奇"}).json()
    assert top[0]["mj"] == "MJ010541"


def test_api_mapping_workflow(login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    admin, clerk = login_as("admin"), login_as("clerk")
    base = f"/api/v1/municipalities/{tenants.a}/moji/mappings"
    body = {"source_system": SYSTEM, "source_kind": "cp932", "source_code": "F040", "mj_code": "MJ028902"}
    assert clerk.post(base, json=body).status_code == 403
    proposed = admin.post(base, json=body)
    assert proposed.status_code == 201 and proposed.json()["glyph"] == "髙"
    source = {k: body[k] for k in ("source_system", "source_kind", "source_code")}
    confirmed = admin.post(f"{base}/confirm", json=source).json()
    assert (confirmed["status"], confirmed["version"]) == ("confirmed", 2)
    again = admin.post(f"{base}/confirm", json=source)
    assert again.status_code == 409 and again.json()["code"] == "moji-mapping-not-proposed"
    listed = clerk.get(base).json()
    assert [(m["source_code"], m["status"]) for m in listed] == [("F040", "confirmed")]
    history = clerk.get(f"{base}/history", params=source).json()
    assert [h["status"] for h in history] == ["proposed", "confirmed"]
    exported = clerk.get(f"{base}/export", params={"format": "csv"})
    assert exported.status_code == 200 and "F040,MJ028902,confirmed" in exported.content.decode("utf-8-sig")


def test_api_import_reports_every_bad_line(login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    admin = login_as("admin")
    url = f"/api/v1/municipalities/{tenants.a}/moji/mappings/import"
    good = "source_system,source_kind,source_code,mj_code\nA,pua,U+E000,MJ028902\n"
    ok = admin.post(url, files={"file": ("m.csv", good.encode(), "text/csv")})
    assert ok.status_code == 200 and ok.json() == {"added": 1, "unchanged": 0}
    bad = good + "A,pua,U+4E00,MJ028902\n"
    refused = admin.post(url, files={"file": ("m.csv", bad.encode(), "text/csv")})
    assert refused.status_code == 422 and refused.json()["errors"][0]["line"] == 3


def test_lookup_page_shows_the_glyph_large(login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    clerk = login_as("clerk")
    page = clerk.get(f"/m/{tenants.a}/moji", params={"q": "\ufa19"})
    assert page.status_code == 200
    assert "MJ030211" in page.text and "moji-glyph" in page.text and "/moji/font/ipamjm.ttf" in page.text
    assert "外字対応表" not in page.text  # the mapping review is for admins


def test_admin_reviews_mappings_in_the_ui(login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    admin = login_as("admin")
    form = {"csrf_token": admin.csrf_token, "source_system": SYSTEM, "source_kind": "pua", "source_code": "E001"}
    posted = admin.post(f"/m/{tenants.a}/moji/mappings", data={**form, "mj_code": "MJ000037"}, follow_redirects=False)
    assert posted.status_code == 303
    page = admin.get(posted.headers["location"])
    assert "U+E001" in page.text and "提案中" in page.text
    reviewed = admin.post(
        f"/m/{tenants.a}/moji/mappings/review", data={**form, "decision": "confirm"}, follow_redirects=True
    )
    assert "確定" in reviewed.text
    xlsx = admin.get(f"/m/{tenants.a}/moji/mappings/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    suggestions = admin.get(f"/m/{tenants.a}/moji", params={"similar": "崎", "reading": "さき", "source_code": "E002"})
    assert "MJ030196" in suggestions.text


def test_font_is_served(login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    assert any(Path(p).exists() for p in FONT_CANDIDATES), "fonts-ipamj-mincho is missing: `make test` installs it"
    response = login_as("clerk").get("/moji/font/ipamjm.ttf")
    assert response.status_code == 200 and response.headers["content-type"] == "font/ttf"


def test_ui_errors_are_shown_not_500(login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    admin = login_as("admin")
    form = {"csrf_token": admin.csrf_token, "source_system": SYSTEM, "source_kind": "pua", "source_code": "U+4E00"}
    bad = admin.post(f"/m/{tenants.a}/moji/mappings", data={**form, "mj_code": "MJ028902"})
    assert bad.status_code == 422 and "私用領域" in bad.text
    missing = admin.post(
        f"/m/{tenants.a}/moji/mappings/review", data={**form, "source_code": "E123", "decision": "confirm"}
    )
    assert missing.status_code == 404
    upload = admin.post(
        f"/m/{tenants.a}/moji/mappings/import",
        data={"csrf_token": admin.csrf_token},
        files={"file": ("m.csv", b"source_system,source_kind,source_code,mj_code\nA,pua,E000,MJ999999\n", "text/csv")},
    )
    assert upload.status_code == 422 and "2行目" in upload.text
    assert admin.get(f"/m/{tenants.a}/moji", params={"q": "😀"}).status_code == 200


def test_operator_lookup_page_without_municipality(login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    page = login_as("operator").get("/moji", params={"q": "J+AD1D"})
    assert page.status_code == 200 and "MJ000001" in page.text and "外字対応表" not in page.text
    assert 'action="/moji"' in page.text
    assert login_as("auditor").get("/moji").status_code == 403
