"""API and UI of the analytics page (TestClient, both backends)."""

import io

from openpyxl import load_workbook

HEADER = "団体コード,導入状況,導入計画,目標年度,グループ名,基準日\n"


def test_api_tables_from_aggregates_and_exports(login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as("operator")
    index = client.get("/api/v1/analytics/tables").json()
    assert "status" in index["tables"] and "2018-06-15" in [str(d) for d in index["aggregate_dates"]]
    body = client.get("/api/v1/analytics/tables/status", params={"date": "2018-06-15"}).json()
    assert body["rows"][-1] == ["計", 1741, 100.0] and body["verified"] is True
    csv = client.get("/api/v1/analytics/tables/plans/export", params={"date": "2018-06-15", "encoding": "cp932"})
    assert csv.status_code == 200 and "shift_jis" in csv.headers["content-type"]
    assert csv.content.decode("cp932").splitlines()[-1] == "計,1337,100.0"
    xlsx = client.get("/api/v1/analytics/tables/target-years/export", params={"date": "2018-06-15", "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(xlsx.content))["表"].iter_rows(values_only=True))
    assert rows[-1] == ("計", 1166)
    chart = client.get("/api/v1/analytics/charts/trend")
    assert chart.headers["content-type"].startswith("image/svg") and chart.headers["x-series-count"] == "4"
    assert client.get("/api/v1/analytics/aggregates/h30-t3").json()["rows"][-1] == ["計", 1166]


def test_api_unknown_table_and_missing_data_are_problems(login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as("operator")
    missing = client.get("/api/v1/analytics/tables/nope")
    assert missing.status_code == 404 and missing.json()["code"] == "unknown-table"
    no_data = client.get("/api/v1/analytics/tables/status", params={"date": "2001-01-01"})
    assert no_data.status_code == 404 and no_data.json()["code"] == "no-data-for-date"


def test_api_import_rejects_whole_file_with_rows(login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as("operator")
    bad = (HEADER + "011002,単独クラウド,,,,2018-06-15\n011002,単独クラウド,,,,2018-06-15\n").encode()
    response = client.post("/api/v1/analytics/imports/status", files={"file": ("s.csv", bad, "text/csv")})
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "import-rejected"
    assert problem["issues"][0]["row"] == 3 and "重複" in problem["issues"][0]["message"]
    assert client.get("/api/v1/analytics/tables").json()["snapshot_dates"] == []
    good = (HEADER + "011002,単独クラウド,,,,2018-06-15\n").encode()
    ok = client.post("/api/v1/analytics/imports/status", files={"file": ("s.csv", good, "text/csv")})
    assert ok.status_code == 200 and ok.json()["inserted"] == 1
    again = client.post("/api/v1/analytics/imports/status", files={"file": ("s.csv", good, "text/csv")})
    assert again.status_code == 409


def test_permissions(login_as, client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/analytics/tables").status_code == 401
    assert login_as("clerk").get("/api/v1/analytics/tables").status_code == 403
    admin = login_as("admin")
    assert admin.get("/api/v1/analytics/tables/status", params={"date": "2018-06-15"}).status_code == 200
    upload = admin.post("/api/v1/analytics/imports/status", files={"file": ("s.csv", b"x", "text/csv")})
    assert upload.status_code == 403


def test_api_apportion_own_group_and_what_if(login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    client = login_as("operator")
    body = client.post(
        "/api/v1/analytics/apportion", json={"total": 1_000_001, "weights": {"equal": 1, "population": 2}}
    )
    assert body.status_code == 200, body.text
    table = body.json()
    assert [r[0] for r in table["rows"]] == [tenants.a, tenants.b, "計"]
    amount = table["columns"].index("負担額(円)")
    assert table["rows"][0][amount] + table["rows"][1][amount] == 1_000_001
    what_if = client.post("/api/v1/analytics/apportion", json={"total": 900, "join": "182010"}).json()
    assert what_if["title"].startswith("福井市")
    bad = client.post("/api/v1/analytics/apportion", json={"total": 1, "members": ["999999"]})
    assert bad.status_code == 422


def test_ui_page_shows_tables_charts_and_download_links(login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as("operator")
    page = client.get("/operator/analytics", params={"date": "2018-06-15"})
    assert page.status_code == 200
    assert "クラウド導入状況と費用" in page.text and "公表集計値を表示" in page.text
    assert "/api/v1/analytics/tables/status/export?date=2018-06-15&amp;format=xlsx" in page.text
    assert "/api/v1/analytics/charts/status?date=2018-06-15" in page.text
    assert "一致しない（想定どおり）" in page.text
    assert "本プラットフォームの構成団体" in page.text


def test_ui_import_fragment_lists_errors(login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as("operator")
    bad = (HEADER + "011003,単独クラウド,,,,2018-06-15\n").encode()
    response = client.post(
        "/operator/analytics/import",
        files={"file": ("s.csv", bad, "text/csv")},
        data={"csrf_token": client.csrf_token, "kind": "status"},
    )
    assert response.status_code == 422
    assert "検査数字が誤っています" in response.text and "<td>2</td>" in response.text
    good = (HEADER + "011002,単独クラウド,,,,2018-06-15\n").encode()
    ok = client.post(
        "/operator/analytics/import",
        files={"file": ("s.csv", good, "text/csv")},
        data={"csrf_token": client.csrf_token},
    )
    assert ok.status_code == 200 and "新規 1 件" in ok.text
    page = client.get("/operator/analytics", params={"date": "2018-06-15"})
    assert "団体別データ（1 団体）から集計" in page.text


def test_ui_apportion_page_and_export(login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as("operator")
    page = client.get("/operator/analytics/apportion", params={"total": 1000, "equal": 30, "population": 70})
    assert page.status_code == 200 and "最大剰余法" in page.text and "1,000" in page.text
    csv = client.get("/operator/analytics/apportion/export", params={"total": 1000, "equal": 30, "population": 70})
    assert csv.status_code == 200 and csv.text.splitlines()[-1].startswith("計,")


def test_api_cost_entry_population_import_and_own_progress(login_as, tenants) -> None:  # type: ignore[no-untyped-def]
    client = login_as("operator")
    assert client.put(f"/api/v1/analytics/costs/{tenants.a}/2025", json={"amount_yen": 50_000_000}).status_code == 204
    bad = client.put("/api/v1/analytics/costs/182070/2025", json={"amount_yen": 1})
    assert bad.status_code == 422 and "検査数字" in bad.json()["detail"]
    cost = client.get("/api/v1/analytics/tables/cost-per-resident", params={"year": 2025}).json()
    assert cost["rows"][-1][cost["columns"].index("全体 団体数")] == 1
    upload = client.post(
        "/api/v1/analytics/imports/population",
        files={"file": ("p.csv", f"団体コード,人口\n{tenants.a},80000\n".encode(), "text/csv")},
        data={"label": "住基2025", "as_of": "2025-01-01"},
    )
    assert upload.status_code == 200, upload.text
    own = client.get("/api/v1/analytics/tables/own-group", params={"population": "住基2025"}).json()
    assert own["rows"][0][own["columns"].index("人口")] == 80000
    progress = client.get("/api/v1/analytics/tables/own-group-progress").json()
    assert progress["rows"][-1][:2] == ["計", 2]
    chart = client.get("/api/v1/analytics/charts/own-group-progress", params={"format": "png"})
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")
    page = client.get("/operator/analytics", params={"population": "住基2025"})
    assert 'value="住基2025" selected' in page.text
