"""Jobs: killed at any point (for real, ``kill -9`` of ``lgcloud migrate import``) and rerun → the same final state."""

from __future__ import annotations

import importlib.util
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from lgcloud.db import Database
from lgcloud.migration import io_testing, jobs, staging

ROWS = 600


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return io_testing.generate_for(tmp_path_factory.mktemp("gen"), "182079", ROWS, encoding="cp932", gaiji=0.1,
                                   errors=0.02, seed=3)


@pytest.fixture(scope="module")
def reference(source, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The same import, uninterrupted, into a fresh SQLite database: its registry and its export."""
    base = tmp_path_factory.mktemp("reference")
    db = io_testing.fresh_sqlite(base / "ref.sqlite3")
    io_testing.load_vendor_mapping(db, "182079", source.mapping)
    job = io_testing.import_files(db, "182079", list(source.files.values()), base / "work",
                                  source_system=io_testing.SOURCE_SYSTEM, batch_size=10)
    assert job.state == "done" and job.summary["quarantined"] > 0
    out = io_testing.export_to(db, "182079", base / "export", unencodable="vendor",
                               source_system=io_testing.SOURCE_SYSTEM)
    yield io_testing.registry_fingerprint(db, "182079"), {n: p.read_bytes() for n, p in out.files.items()}, job
    db.dispose()


def _assert_same_as_reference(db: Database, reference, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fingerprint, exported, ref_job = reference
    assert io_testing.registry_fingerprint(db, "182079") == fingerprint
    out = io_testing.export_to(db, "182079", tmp_path / "export", unencodable="vendor",
                               source_system=io_testing.SOURCE_SYSTEM)
    assert {n: p.read_bytes() for n, p in out.files.items()} == exported
    with db.session("182079") as session:
        (job,) = jobs.list_jobs(session, "182079")
    assert job.state == "done" and job.summary["files"] == ref_job.summary["files"]


# --------------------------------------------------------------------------- in-process failures


def _fail_once(monkeypatch: pytest.MonkeyPatch, target: object, name: str, after: int) -> None:
    original = getattr(target, name)
    calls = {"n": 0}

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == after:
            raise RuntimeError("simulated crash")
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, flaky)


@pytest.mark.parametrize(("name", "after"), [("write_rows", 2), ("merge_batch", 5), ("merge_households", 1)])
def test_a_failure_in_any_phase_then_rerun_gives_the_same_state(database, tenants, source, reference, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                monkeypatch: pytest.MonkeyPatch, name: str,
                                                                after: int) -> None:
    io_testing.load_vendor_mapping(database, tenants.a, source.mapping)
    _fail_once(monkeypatch, staging, name, after)
    paths = list(source.files.values())
    options = {"source_system": io_testing.SOURCE_SYSTEM, "batch_size": 10}
    failed = io_testing.import_files(database, tenants.a, paths, tmp_path / "work", **options)
    assert failed.state == "failed" and "simulated crash" in (failed.error or "")
    monkeypatch.undo()
    done = io_testing.import_files(database, tenants.a, paths, tmp_path / "work", **options)
    assert done.job_id == failed.job_id and done.state == "done"
    _assert_same_as_reference(database, reference, tmp_path)


# ------------------------------------------------------------------------------- kill -9, for real


def _command() -> list[str]:
    """``lgcloud migrate import`` once the layout engineer's ``migrate`` group carries our commands."""
    spec = importlib.util.find_spec("lgcloud.migration.cli")
    if spec and spec.origin and "register(app)" in Path(spec.origin).read_text(encoding="utf-8"):
        return [str(Path(sys.executable).parent / "lgcloud"), "migrate", "import"]
    return [sys.executable, "-m", "lgcloud.migration.io_cli", "import"]


def _start(env: dict[str, str], source, work: Path) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    args = [*_command(), "--tenant", "182079", "--source-system", io_testing.SOURCE_SYSTEM, "--batch-size", "10",
            "--work-dir", str(work), "--json", *[str(p) for p in source.files.values()]]
    return subprocess.Popen(args, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _kill_when(proc: subprocess.Popen[bytes], state: Callable[[], tuple[str, int, int] | None],
               ready: Callable[[str, int, int], bool]) -> tuple[str, int, int]:
    """SIGKILL the import as soon as ``ready(phase, batches_done, batches_total)`` holds; return that state."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        seen = state()
        if seen and ready(*seen):
            assert proc.poll() is None, "the import finished before it could be killed"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            assert proc.returncode == -signal.SIGKILL
            return seen
        if proc.poll() is not None:
            pytest.fail(f"the import ended before the kill point: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.002)
    pytest.fail("kill point not reached")


def _kill_twice_then_finish(env: dict[str, str], source, work: Path,  # type: ignore[no-untyped-def]
                            state: Callable[[], tuple[str, int, int] | None]) -> None:
    first = _kill_when(_start(env, source, work), state, lambda phase, done, total: True)
    assert first[0] in ("validate", "stage")
    second = _kill_when(_start(env, source, work), state,
                        lambda phase, done, total: phase == "merge" and 3 <= done < total - 3)
    assert second[0] == "merge"
    final = _start(env, source, work)
    _out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode()[-3000:]


def test_kill_9_during_import_then_rerun_sqlite(source, reference, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "lgcloud.sqlite3"
    db = io_testing.fresh_sqlite(path)
    io_testing.load_vendor_mapping(db, "182079", source.mapping)
    env = {"LGCLOUD_DATABASE_URL": f"sqlite:///{path}", "LGCLOUD_DATA_DIR": str(tmp_path / "var")}

    def state() -> tuple[str, int, int] | None:
        with sqlite3.connect(path, timeout=5) as conn:
            row = conn.execute("SELECT phase, batches_done, batches_total FROM migration_jobs").fetchone()
        return tuple(row) if row else None  # type: ignore[return-value]

    _kill_twice_then_finish(env, source, tmp_path / "work", state)
    _assert_same_as_reference(db, reference, tmp_path)
    db.dispose()


def test_kill_9_during_import_then_rerun_postgresql(pg_database, pg_urls, source, reference,  # type: ignore[no-untyped-def]
                                                    tmp_path: Path) -> None:
    owner, app = pg_urls
    io_testing.add_tenants(pg_database, ("182079",))
    io_testing.load_vendor_mapping(pg_database, "182079", source.mapping)
    env = {"LGCLOUD_DATABASE_URL": owner, "LGCLOUD_APP_DATABASE_URL": app, "LGCLOUD_DATA_DIR": str(tmp_path / "var")}
    dsn = owner.replace("postgresql+psycopg://", "postgresql://")

    def state() -> tuple[str, int, int] | None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            row = conn.execute("SELECT phase, batches_done, batches_total FROM migration_jobs").fetchone()
        return tuple(row) if row else None  # type: ignore[return-value]

    _kill_twice_then_finish(env, source, tmp_path / "work", state)
    _assert_same_as_reference(pg_database, reference, tmp_path)


def test_a_second_runner_of_the_same_job_is_refused(database, tenants, source, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from lgcloud.errors import Conflict
    from lgcloud.migration import importer

    io_testing.load_vendor_mapping(database, tenants.a, source.mapping)
    job = importer.prepare(database, importer.ImportRequest(tenants.a, list(source.files.values()), tmp_path / "w",
                                                            source_system=io_testing.SOURCE_SYSTEM))
    with jobs.exclusive(job), pytest.raises(Conflict):
        jobs.run_job(database, tenants.a, job.job_id)
    with database.session(tenants.a) as session:
        assert jobs.get(session, tenants.a, job.job_id).state == "queued"  # not marked failed
    assert jobs.run_job(database, tenants.a, job.job_id).state == "done"


def test_a_folder_is_archived_once_with_every_file_and_no_partial_left(tmp_path: Path) -> None:
    import zipfile

    folder = tmp_path / "export"
    (folder / "sub").mkdir(parents=True)
    (folder / "person.csv").write_bytes("宛名番号\r\n".encode("cp932"))
    (folder / "sub" / "manifest.json").write_text("{}", encoding="utf-8")
    target = jobs.archive(folder, tmp_path / "export.zip")
    with zipfile.ZipFile(target) as archive:
        assert sorted(archive.namelist()) == ["person.csv", "sub/manifest.json"]
        assert archive.read("person.csv") == "宛名番号\r\n".encode("cp932")
    (folder / "late.csv").write_text("x", encoding="utf-8")
    assert jobs.archive(folder, target) == target  # written once: a second download serves the same file
    with zipfile.ZipFile(target) as archive:
        assert "late.csv" not in archive.namelist()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "export.zip"]
