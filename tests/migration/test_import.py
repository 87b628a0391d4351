"""Import: every input record is loaded or quarantined (verbatim), reconciliation holds per file, reruns are no-ops."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text

from lgcloud.migration import importer, io_testing, jobs

ROWS = 160


@pytest.fixture
def files(tmp_path: Path, tenants) -> io_testing.Any:  # type: ignore[no-untyped-def]
    return io_testing.generate_for(tmp_path / "gen", tenants.a, ROWS, encoding="cp932", errors=0.08, gaiji=0.05,
                                   seed=11)


def _import(database, tenants, files, tmp_path: Path, **options) -> jobs.Job:  # type: ignore[no-untyped-def]
    io_testing.load_vendor_mapping(database, tenants.a, files.mapping)
    return io_testing.import_files(database, tenants.a, list(files.files.values()), tmp_path / "work",
                                   source_system=io_testing.SOURCE_SYSTEM, batch_size=37, **options)


def _history_count(database, lg_code: str) -> int:  # type: ignore[no-untyped-def]
    with database.session(lg_code) as session:
        return int(session.execute(text("SELECT count(*) FROM residents_history WHERE lg_code = :lg"),
                                   {"lg": lg_code}).scalar_one())


def test_every_record_is_loaded_or_quarantined(database, tenants, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    job = _import(database, tenants, files, tmp_path)
    assert job.state == "done", job.error
    summary = job.summary
    assert summary["balanced"]
    by_spec = {f["spec"]: f for f in summary["files"]}
    for name, count in files.counts.items():
        f = by_spec[name]
        expected = count + (1 if name == "person" else 0) * 0  # generator counts are data records
        assert f["records"] == expected or f["records"] >= count
        assert f["records"] == f["loaded"] + f["quarantined"]
    assert _history_count(database, tenants.a) == by_spec["person"]["loaded"] == summary["history_rows_merged"]
    assert job.loaded == summary["loaded"] and job.records_total == summary["records"]
    assert summary["quarantined"] > 0 and summary["loaded"] > 0


def test_every_injected_error_is_in_quarantine_with_its_reason(database, tenants, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    job = _import(database, tenants, files, tmp_path)
    manifest = pl.read_csv(files.manifest)
    for f in job.files:
        reasons = pl.read_csv(f["reasons"], schema_overrides={"value": pl.String})
        injected = manifest.filter(pl.col("file") == f["name"])
        missing = injected.join(reasons.select("line").unique(), on="line", how="anti")
        assert missing.height == 0, (f["name"], missing)


def test_quarantine_holds_the_original_bytes(database, tenants, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    job = _import(database, tenants, files, tmp_path)
    for f in job.files:
        source = Path(f["path"]).read_bytes().split(b"\n")
        quarantine = Path(f["quarantine"]).read_bytes().split(b"\n")
        assert quarantine[0] == source[0]  # the header line, as it was
        lines = sorted(set(pl.read_csv(f["reasons"], schema_overrides={"value": pl.String})
                           .filter(pl.col("record") >= 0)["line"].to_list()))
        assert quarantine[1:-1] == [source[n - 1] for n in lines]
        assert len(lines) == f["quarantined"]
        assert jobs.file_sha256(Path(f["quarantine"])) == f["quarantine_sha256"]


def test_quarantined_records_reimport_after_fixing_nothing_loads_nothing_twice(database, tenants, files,
                                                                             tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    job = _import(database, tenants, files, tmp_path)
    before = io_testing.registry_fingerprint(database, tenants.a)
    again = _import(database, tenants, files, tmp_path)
    assert again.job_id == job.job_id and again.state == "done"
    assert io_testing.registry_fingerprint(database, tenants.a) == before


def test_persons_already_in_the_registry_are_quarantined(database, tenants, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clean = io_testing.generate_for(tmp_path / "clean", tenants.a, 100, encoding="utf-8", seed=5)
    first = io_testing.import_files(database, tenants.a, list(clean.files.values()), tmp_path / "w1",
                                    encoding="utf-8")
    assert first.summary["quarantined"] == 0
    before = io_testing.registry_fingerprint(database, tenants.a)
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in clean.files.values():  # same records, different file contents → a new job
        (copy / path.name).write_bytes(path.read_bytes() + b"\n")
    second = io_testing.import_files(database, tenants.a, sorted(copy.iterdir()), tmp_path / "w2", encoding="utf-8")
    person = next(f for f in second.summary["files"] if f["spec"] == "person")
    assert person["loaded"] == 0 and person["quarantined"] == person["records"]
    assert person["rule_counts"] == {"already-registered": person["records"] - 1, "blank-row": 1}
    assert io_testing.registry_fingerprint(database, tenants.a)["history"] == before["history"]


def test_another_municipalitys_file_loads_nothing(database, tenants, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other = io_testing.generate_for(tmp_path / "other", tenants.b, 60, encoding="utf-8", seed=7)
    job = io_testing.import_files(database, tenants.a, [other.files["person"], other.files["household"]],
                                  tmp_path / "w", encoding="utf-8")
    person = next(f for f in job.summary["files"] if f["spec"] == "person")
    assert person["loaded"] == 0 and person["rule_counts"]["other-municipality"] > 0
    assert _history_count(database, tenants.a) == 0


def test_a_file_with_the_wrong_header_is_refused_before_any_job(database, tenants, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "person.csv"
    bad.write_text("a,b,c\n1,2,3\n", encoding="cp932")
    with pytest.raises(importer.ImportError_) as caught:
        io_testing.import_files(database, tenants.a, [bad], tmp_path / "w")
    assert caught.value.code == "migration-header-mismatch"
    with database.session(tenants.a) as session:
        assert jobs.list_jobs(session, tenants.a) == []


def test_a_file_name_the_layout_does_not_know_is_refused(database, tenants, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "unknown.csv"
    bad.write_text("x\n", encoding="utf-8")
    with pytest.raises(importer.ImportError_):
        io_testing.import_files(database, tenants.a, [bad], tmp_path / "w")


def test_imported_rows_are_usable_by_the_registry(database, tenants, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from lgcloud.residents.repository import SqlRegistry

    clean = io_testing.generate_for(tmp_path / "clean", tenants.a, 60, encoding="cp932", gaiji=0.2, seed=7)
    io_testing.load_vendor_mapping(database, tenants.a, clean.mapping)
    job = io_testing.import_files(database, tenants.a, list(clean.files.values()), tmp_path / "w",
                                  source_system=io_testing.SOURCE_SYSTEM)
    assert job.summary["quarantined"] == 0, job.summary
    with database.session(tenants.a) as session:
        registry = SqlRegistry(session, tenants.a)
        atena = session.execute(text("SELECT atena_no FROM residents_current WHERE lg_code = :lg LIMIT 1"),
                                {"lg": tenants.a}).scalar_one()
        row = registry.current(atena)
        assert row is not None and row.person.shimei
        names = [r[0] for r in session.execute(text("SELECT shimei FROM residents_history WHERE lg_code = :lg"),
                                                {"lg": tenants.a})]
    assert not any("\ue000" <= ch <= "\uf8ff" for name in names for ch in name)  # 外字 mapped to MJ glyphs


def test_household_items_are_kept_the_same_when_compared_range_by_range(database, tenants, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The kept 世帯 items do not depend on how many 世帯 are compared at a time (3 here, all in one there)."""
    from lgcloud.migration import exporter

    gen = io_testing.generate_for(tmp_path / "gen", tenants.a, 80, gaiji=0.0, seed=3)
    whole = io_testing.import_files(database, tenants.a, list(gen.files.values()), tmp_path / "w1")
    monkeypatch.setattr(exporter, "HOUSEHOLD_RANGE", 3)
    other = io_testing.generate_for(tmp_path / "gen_b", tenants.b, 80, gaiji=0.0, seed=3)
    ranged = io_testing.import_files(database, tenants.b, list(other.files.values()), tmp_path / "w2")
    assert whole.state == ranged.state == "done"

    def kept(lg_code: str) -> list[tuple[str, str]]:
        with database.session(lg_code) as session:
            return sorted(session.execute(text(
                "SELECT setai_no, items FROM migration_household_extras WHERE lg_code = :lg"), {"lg": lg_code}).all())

    assert len(kept(tenants.a)) > 3 * 3 and kept(tenants.a) == kept(tenants.b)
    assert not list((tmp_path / "w2").rglob(".households-*"))
