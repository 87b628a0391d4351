"""Web: a municipal admin uploads, watches, reads the report, downloads quarantine and an export; bad uploads
get a 4xx problem and change nothing; nobody else gets in."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta, timezone
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import text

from lgcloud.db.base import as_utc
from lgcloud.migration import io_testing, jobs

API = "/api/v1/municipalities/{}/migration"


@pytest.fixture
def generated(tenants, tmp_path: Path):  # type: ignore[no-untyped-def]
    return io_testing.generate_for(tmp_path / "gen", tenants.a, 100, encoding="cp932", errors=0.05, seed=5)


def _upload(client, lg_code: str, paths: list[Path], url: str | None = None, **form: str):  # type: ignore[no-untyped-def]
    files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in paths]
    return client.post(url or f"{API.format(lg_code)}/imports", files=files, data=form)


def _state(database, lg_code: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with database.session(lg_code) as session:
        history = session.execute(text("SELECT count(*) FROM residents_history WHERE lg_code = :lg"),
                                  {"lg": lg_code}).scalar_one()
        count = len(jobs.list_jobs(session, lg_code))
    return int(history), count


def test_admin_imports_watches_and_downloads(login_as, tenants, generated, database) -> None:  # type: ignore[no-untyped-def]
    admin = login_as("admin")
    response = _upload(admin, tenants.a, list(generated.files.values()))
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    jobs.wait(tenants.a, job_id, timeout=120)
    job = admin.get(f"{API.format(tenants.a)}/jobs/{job_id}").json()
    assert job["state"] == "done" and job["summary"]["balanced"]
    assert job["records_total"] == job["summary"]["loaded"] + job["summary"]["quarantined"]
    assert "照合一致" in admin.get(f"{API.format(tenants.a)}/jobs/{job_id}/report.html").text
    archive = zipfile.ZipFile(io.BytesIO(admin.get(f"{API.format(tenants.a)}/jobs/{job_id}/quarantine.zip").content))
    assert {"person.csv", "person.csv.reasons.csv"} <= set(archive.namelist())
    reasons = [line for name in archive.namelist() if name.endswith(".reasons.csv")
               for line in archive.read(name).decode("utf-8").splitlines()[1:]]
    with database.session(tenants.a) as session:
        work_dir = jobs.get(session, tenants.a, job_id).work_dir
    assert not (work_dir / "report.xlsx").exists()  # written when first asked for, not by every import
    book = openpyxl.load_workbook(io.BytesIO(admin.get(f"{API.format(tenants.a)}/jobs/{job_id}/report.xlsx").content))
    listed = list(book["隔離理由"].iter_rows(values_only=True))
    assert listed[0][:5] == ("ファイル", "行", "バイト位置", "項目", "規則") and len(listed) - 1 == len(reasons) > 0
    assert {row[0] for row in listed[1:]} <= set(job["summary"]["files"][i]["name"] for i in range(3))
    assert ("照合", "一致") in set(book["概要"].iter_rows(values_only=True, max_col=2))
    with database.session(tenants.a) as session:  # the uploaded copies are gone once the import is done
        stored = jobs.get(session, tenants.a, job_id)
    uploaded = [Path(f["path"]) for f in stored.files]
    assert uploaded and not any(path.exists() or path.parent.exists() for path in uploaded)
    created = as_utc(stored.created_at).astimezone(timezone(timedelta(hours=9)))  # people read Japan time
    assert created.strftime("%Y-%m-%d %H:%M:%S") in admin.get(f"/m/{tenants.a}/migration").text
    page = admin.get(f"/m/{tenants.a}/migration/jobs/{job_id}")
    assert page.status_code == 200 and "照合結果" in page.text
    assert 'hx-trigger="every 1s"' not in page.text  # finished: no more polling
    assert job_id in admin.get(f"/m/{tenants.a}/migration").text


def test_ui_upload_redirects_to_the_job_page_which_polls(login_as, tenants, generated) -> None:  # type: ignore[no-untyped-def]
    admin = login_as("admin")
    response = _upload(admin, tenants.a, list(generated.files.values()), url=f"/m/{tenants.a}/migration/import",
                       csrf_token=admin.csrf_token)
    assert response.status_code == 204 and "/migration/jobs/" in response.headers["HX-Redirect"]
    job_id = response.headers["HX-Redirect"].rsplit("/", 1)[-1]
    progress = admin.get(f"/m/{tenants.a}/migration/jobs/{job_id}/progress")
    assert progress.status_code == 200 and 'id="job-progress"' in progress.text
    jobs.wait(tenants.a, job_id, timeout=120)


def test_export_job_gives_a_zip(login_as, tenants, generated) -> None:  # type: ignore[no-untyped-def]
    admin = login_as("admin")
    imported = _upload(admin, tenants.a, list(generated.files.values())).json()["job_id"]
    jobs.wait(tenants.a, imported, timeout=120)
    response = admin.post(f"{API.format(tenants.a)}/exports", json={"encoding": "utf-8"})
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    jobs.wait(tenants.a, job_id, timeout=120)
    archive = zipfile.ZipFile(io.BytesIO(admin.get(f"{API.format(tenants.a)}/jobs/{job_id}/export.zip").content))
    assert sorted(archive.namelist()) == ["foreign.csv", "household.csv", "manifest.json", "person.csv"]
    form = admin.post(f"/m/{tenants.a}/migration/export", data={"dialect": "fixed-cp932", "unencodable": "degrade",
                                                                "csrf_token": admin.csrf_token})
    assert form.status_code == 204, form.text
    fixed = form.headers["HX-Redirect"].rsplit("/", 1)[-1]
    jobs.wait(tenants.a, fixed, timeout=120)
    archive = zipfile.ZipFile(io.BytesIO(admin.get(f"{API.format(tenants.a)}/jobs/{fixed}/export.zip").content))
    assert {"person.dat", "foreign.dat", "household.dat"} <= set(archive.namelist())


def test_the_forms_name_the_dialects_and_offer_the_confirmed_source_systems(login_as, tenants, database,  # type: ignore[no-untyped-def]
                                                                          generated) -> None:
    io_testing.load_vendor_mapping(database, tenants.a, generated.mapping)
    page = login_as("admin").get(f"/m/{tenants.a}/migration").text
    assert "固定長(バイト位置)・和暦(1桁元号 GYYMMDD)(fixed-cp932)" in page and ">default<" not in page
    assert f'<option value="{io_testing.SOURCE_SYSTEM}">' in page and 'list="source-systems"' in page


@pytest.mark.parametrize("case", ["unknown-name", "wrong-header", "empty", "bad-encoding", "no-files"])
def test_bad_upload_is_a_problem_and_changes_nothing(login_as, tenants, generated, database, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                     case: str, settings) -> None:
    admin = login_as("admin")
    before = _state(database, tenants.a)
    person = generated.files["person"]
    if case == "unknown-name":
        bad = tmp_path / "random.csv"
        bad.write_bytes(person.read_bytes())
        response = _upload(admin, tenants.a, [bad])
    elif case == "wrong-header":
        bad = tmp_path / "person.csv"
        bad.write_bytes("氏名,住所\n山田,鯖江\n".encode("cp932"))
        response = _upload(admin, tenants.a, [bad])
    elif case == "empty":
        bad = tmp_path / "person.csv"
        bad.write_bytes(b"")
        response = _upload(admin, tenants.a, [bad])
    elif case == "bad-encoding":
        response = _upload(admin, tenants.a, [person], encoding="latin-1")
    else:
        response = admin.post(f"{API.format(tenants.a)}/imports", data={})
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"]
    assert _state(database, tenants.a) == before
    uploads = Path(settings.data_dir) / "migration" / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_staff_without_the_permission_and_other_municipalities_are_refused(login_as, tenants, generated) -> None:  # type: ignore[no-untyped-def]
    assert login_as("clerk").get(f"{API.format(tenants.a)}/jobs").status_code == 403
    assert login_as("admin", tenants.b).get(f"{API.format(tenants.a)}/jobs").status_code == 404
    assert login_as("operator").get(f"/m/{tenants.a}/migration").status_code in (403, 404)
    response = _upload(login_as("admin", tenants.b), tenants.a, list(generated.files.values()))
    assert response.status_code == 404


def test_operator_sees_job_counts_of_the_group_but_no_contents(login_as, tenants, generated) -> None:  # type: ignore[no-untyped-def]
    admin = login_as("admin")
    job_id = _upload(admin, tenants.a, list(generated.files.values())).json()["job_id"]
    jobs.wait(tenants.a, job_id, timeout=120)
    listed = login_as("operator").get("/api/v1/migration/jobs")
    assert listed.status_code == 200
    (job,) = [j for j in listed.json() if j["job_id"] == job_id]
    assert job["lg_code"] == tenants.a and job["records_total"] == job["loaded"] + job["quarantined"]
    assert "summary" not in job and "work_dir" not in job
    person = generated.files["person"].read_bytes().decode("cp932", errors="replace").splitlines()[1].split(",")
    assert person[1] not in listed.text  # no 宛名番号, names or any record content
    assert login_as("clerk").get("/api/v1/migration/jobs").status_code == 403


def _operator_upload(client, url: str, lg_code: str, generated, **form: str):  # type: ignore[no-untyped-def]
    files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in generated.files.values()]
    return client.post(url, files=files, data={"lg_code": lg_code, **form}, follow_redirects=False)


def test_operator_starts_a_members_import_and_sees_only_counts(login_as, tenants, generated, database) -> None:  # type: ignore[no-untyped-def]
    operator = login_as("operator")
    response = _operator_upload(operator, "/api/v1/migration/imports", tenants.a, generated)
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert "summary" not in response.json()
    jobs.wait(tenants.a, job_id, timeout=120)
    admin = login_as("admin")
    job = admin.get(f"{API.format(tenants.a)}/jobs/{job_id}").json()  # the municipality reads the report
    assert job["state"] == "done" and job["summary"]["balanced"] and _state(database, tenants.a)[0] > 0
    assert operator.get(f"{API.format(tenants.a)}/jobs/{job_id}/quarantine.zip").status_code in (403, 404)
    with database.session(tenants.a) as session:
        started_by = session.execute(text("SELECT actor FROM tenancy_audit_log WHERE lg_code = :lg AND "
                                          "action = 'migration:import.start'"), {"lg": tenants.a}).scalars().all()
    assert started_by == ["operator"]  # the municipality's audit chain names who started it


def test_operator_console_form_starts_an_import_and_lists_it(login_as, tenants, generated) -> None:  # type: ignore[no-untyped-def]
    operator = login_as("operator")
    response = _operator_upload(operator, "/operator/migration/imports", tenants.a, generated,
                                csrf_token=operator.csrf_token)
    assert response.status_code == 303 and "started=" in response.headers["location"]
    job_id = response.headers["location"].rsplit("=", 1)[-1]
    jobs.wait(tenants.a, job_id, timeout=120)
    page = operator.get("/operator/")
    assert job_id in page.text and 'data-state="done"' in page.text


def test_operator_cannot_import_into_a_municipality_outside_its_group(login_as, tenants, generated, database) -> None:  # type: ignore[no-untyped-def]
    before = _state(database, tenants.a)
    response = _operator_upload(login_as("operator"), "/api/v1/migration/imports", "999999", generated)
    assert response.status_code == 404 and response.json()["code"] == "not-in-group"
    assert login_as("admin").post("/api/v1/migration/imports", data={"lg_code": tenants.a}).status_code == 403
    assert _state(database, tenants.a) == before
