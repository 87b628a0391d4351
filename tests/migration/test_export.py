"""Export: round trip byte-identical across backends, 差分 by cursor, unencodable characters error/degrade/vendor."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from lgcloud.layout import EncodeError
from lgcloud.migration import exporter, io_testing

GAIJI_ONLY_IN_MJ = "𠮷"  # not in cp932: the vendor's F04A


def _other_backend(backend: str, request: pytest.FixtureRequest, tmp_path: Path, lg_code: str):  # type: ignore[no-untyped-def]
    """An empty municipality on the *other* backend (so both import and export paths meet each other)."""
    if backend == "sqlite":
        db = request.getfixturevalue("pg_database")
        io_testing.add_tenants(db, (lg_code,))
        return db
    return io_testing.fresh_sqlite(tmp_path / "target.sqlite3", (lg_code,))


def _load(database, lg_code: str, gen, work: Path, **options):  # type: ignore[no-untyped-def]
    io_testing.load_vendor_mapping(database, lg_code, gen.mapping)
    job = io_testing.import_files(database, lg_code, list(gen.files.values()), work,
                                  source_system=io_testing.SOURCE_SYSTEM, **options)
    assert job.state == "done", job.error
    return job


@pytest.mark.parametrize(("dialect", "encoding"), [(None, "cp932"), ("fixed-cp932", "cp932"), ("csv-utf8", "utf-8")])
def test_export_import_export_is_byte_identical(database, backend, tenants, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                request: pytest.FixtureRequest, dialect, encoding) -> None:
    gen = io_testing.generate_for(tmp_path / "gen", tenants.a, 120, encoding=encoding, dialect=dialect, gaiji=0.3,
                                  seed=3)
    first = _load(database, tenants.a, gen, tmp_path / "w1", dialect=dialect, encoding=encoding)
    assert first.summary["quarantined"] == 0, first.summary
    options = {"dialect": dialect, "encoding": encoding, "unencodable": "vendor",
               "source_system": io_testing.SOURCE_SYSTEM}
    e1 = io_testing.export_to(database, tenants.a, tmp_path / "e1", **options)
    assert e1.counts["person"] == first.summary["files"][0]["loaded"]

    target = _other_backend(backend, request, tmp_path, tenants.a)
    io_testing.load_vendor_mapping(target, tenants.a, gen.mapping)
    second = io_testing.import_files(target, tenants.a, list(e1.files.values()), tmp_path / "w2",
                                     source_system=io_testing.SOURCE_SYSTEM, dialect=dialect, encoding=encoding)
    assert second.summary["quarantined"] == 0, second.summary
    e2 = io_testing.export_to(target, tenants.a, tmp_path / "e2", **options)
    for name, path in e1.files.items():
        assert path.read_bytes() == e2.files[name].read_bytes(), name
    assert e1.counts == e2.counts
    assert io_testing.registry_fingerprint(database, tenants.a)["history"][0] == \
        io_testing.registry_fingerprint(target, tenants.a)["history"][0]


def test_export_of_the_source_files_keeps_every_item(database, tenants, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Source → registry → export gives the source records back (the generator writes what we write)."""
    gen = io_testing.generate_for(tmp_path / "gen", tenants.a, 100, encoding="utf-8", seed=5)
    _load(database, tenants.a, gen, tmp_path / "w", encoding="utf-8")
    out = io_testing.export_to(database, tenants.a, tmp_path / "e", encoding="utf-8")
    for name in ("person", "foreign"):
        source = pl.read_csv(gen.files[name], infer_schema=False).sort(["宛名番号", "履歴番号"])
        exported = pl.read_csv(out.files[name], infer_schema=False)
        assert exported.equals(source), name


def test_differential_export_by_cursor(database, tenants, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gen = io_testing.generate_for(tmp_path / "gen", tenants.a, 100, encoding="utf-8", seed=5)
    _load(database, tenants.a, gen, tmp_path / "w", encoding="utf-8")
    full = io_testing.export_to(database, tenants.a, tmp_path / "full", encoding="utf-8")
    since_zero = io_testing.export_to(database, tenants.a, tmp_path / "zero", encoding="utf-8", since=0)
    assert since_zero.files["person"].read_bytes() == full.files["person"].read_bytes()
    nothing = io_testing.export_to(database, tenants.a, tmp_path / "none", encoding="utf-8", since=full.cursor)
    assert nothing.counts["person"] == 0 and nothing.counts["household"] == 0
    recent = io_testing.export_to(database, tenants.a, tmp_path / "recent", encoding="utf-8", since=full.cursor - 7)
    assert recent.counts["person"] == 7  # one 異動 record per imported history row
    assert recent.cursor == full.cursor
    manifest = (tmp_path / "recent" / "manifest.json").read_text(encoding="utf-8")
    assert '"差分"' in manifest and f'"since": {full.cursor - 7}' in manifest


@pytest.mark.parametrize("dialect", [None, "fixed-cp932"])
def test_an_export_in_chunks_writes_the_same_files_as_in_one(database, tenants, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                             dialect) -> None:
    """Memory holds one chunk of persons and one range of 世帯: cutting the municipality into 7-person chunks and
    4-世帯 ranges changes no byte, for 全件 and 差分, progress is reported after every chunk up to the number of
    persons, and the members kept on disk for the household file are gone afterwards."""
    gen = io_testing.generate_for(tmp_path / "gen", tenants.a, 60, dialect=dialect, gaiji=0.3, seed=11)
    _load(database, tenants.a, gen, tmp_path / "w", dialect=dialect)
    options = {"dialect": dialect, "unencodable": "vendor", "source_system": io_testing.SOURCE_SYSTEM}
    whole = io_testing.export_to(database, tenants.a, tmp_path / "whole", **options)
    seen: list[tuple[int, int]] = []
    chunked = exporter.export(database, exporter.ExportRequest(
        tenants.a, tmp_path / "chunked", chunk_persons=7, household_range=4, **options),
        progress=lambda done, total: seen.append((done, total)))
    assert len(seen) > 2 and [done for done, _ in seen] == sorted({done for done, _ in seen})
    assert seen[-1][0] == seen[-1][1] and all(total == seen[-1][1] for _, total in seen)
    for name, path in whole.files.items():
        assert chunked.files[name].read_bytes() == path.read_bytes(), name
    assert chunked.counts == whole.counts and chunked.counts["household"] > 3 * 4
    assert sorted(p.name for p in (tmp_path / "chunked").iterdir()) == sorted(
        p.name for p in (tmp_path / "whole").iterdir())
    since = whole.cursor - 9
    one = io_testing.export_to(database, tenants.a, tmp_path / "d1", since=since, **options)
    many = io_testing.export_to(database, tenants.a, tmp_path / "d7", since=since, chunk_persons=7, **options)
    assert one.counts["person"] == 9
    for name, path in one.files.items():
        assert many.files[name].read_bytes() == path.read_bytes(), name


def test_an_export_written_in_chunks_names_the_line_in_the_whole_file(tmp_path: Path) -> None:
    """A value too wide for its fixed-length field in the second row of the second chunk is reported at its line
    in the file, with the file's name and the record's 宛名番号."""
    from lgcloud.layout import load_layout, resolve_dialect

    layout = load_layout("juki")
    dialect = resolve_dialect(layout.dialects, "fixed-cp932")
    names = layout.file("person").names
    request = exporter.ExportRequest("000000", tmp_path)
    width = next(it.fixed_width(dialect.date_style) for it in layout.file("person").items if it.name == "氏名")
    bad = "山" * width
    with exporter._Writer(request, layout, dialect, exporter._Encoder(dialect, "none", {})) as writer:
        first = {n: [None] * 3 for n in names} | {"氏名": ["山田"] * 3, "宛名番号": ["1", "2", "3"]}
        writer.write("person", pl.DataFrame(first, schema={n: pl.String for n in names}))
        second = {n: [None] * 2 for n in names} | {"氏名": ["山田", bad], "宛名番号": ["4", "5"]}
        with pytest.raises(EncodeError) as caught:
            writer.write("person", pl.DataFrame(second, schema={n: pl.String for n in names}))
    assert caught.value.message.startswith("person.dat 宛名番号 5 の5行目の「氏名」")
    assert caught.value.detail["line"] == 5


@pytest.fixture
def with_gaiji(database, tenants, tmp_path: Path):  # type: ignore[no-untyped-def]
    gen = io_testing.generate_for(tmp_path / "gen", tenants.a, 100, encoding="cp932", gaiji=0.6, seed=5)
    _load(database, tenants.a, gen, tmp_path / "w")
    person = pl.read_csv(io_testing.export_to(database, tenants.a, tmp_path / "u", encoding="utf-8").files["person"],
                         infer_schema=False)
    assert person["氏名"].str.contains(GAIJI_ONLY_IN_MJ, literal=True).any()
    return gen


def test_unencodable_character_is_an_error_by_default(database, tenants, with_gaiji, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(EncodeError) as caught:
        io_testing.export_to(database, tenants.a, tmp_path / "x")
    assert "U+20BB7" in caught.value.message


def test_unencodable_character_degraded_and_listed(database, tenants, with_gaiji, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = io_testing.export_to(database, tenants.a, tmp_path / "d", unencodable="degrade")
    listed = pl.read_csv(result.degraded_file)
    row = listed.filter(pl.col("char") == GAIJI_ONLY_IN_MJ).row(0, named=True)
    assert row["replacement"] == "吉" and row["item"] in ("氏名", "氏", "世帯主氏名", "筆頭者")
    assert "吉".encode("cp932") in result.files["person"].read_bytes()
    assert result.degraded == listed.height


def test_unencodable_character_written_as_the_vendors_gaiji_code(database, tenants, with_gaiji,  # type: ignore[no-untyped-def]
                                                                 tmp_path: Path) -> None:
    result = io_testing.export_to(database, tenants.a, tmp_path / "v", unencodable="vendor",
                                  source_system=io_testing.SOURCE_SYSTEM)
    assert bytes.fromhex("F04A") in result.files["person"].read_bytes()
    listed = pl.read_csv(result.degraded_file)
    assert set(listed["how"]) == {"外字コード"}


def test_a_chunk_reads_its_ido_records_by_span_when_dense_else_by_list() -> None:
    dense, sparse = pl.Series([5, 7, 6, 9]), pl.Series([3, 900, 41])
    assert exporter._ido_params(True, dense) == {"ido_lo": 5, "ido_hi": 9}
    assert exporter._ido_params(True, sparse) == {"ido_ids": [3, 41, 900]}
    assert exporter._ido_params(True, pl.Series([], dtype=pl.Int64)) == {}
    assert exporter._ido_params(False, sparse) == {}  # SQLite: a subquery


def test_reading_ido_records_by_list_writes_the_same_files(pg_database, pg_tenants, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The list form (a registry whose 異動 numbers are spread over years) gives the records the span does."""
    gen = io_testing.generate_for(tmp_path / "gen", pg_tenants.a, 40, gaiji=0.3, seed=5)
    _load(pg_database, pg_tenants.a, gen, tmp_path / "w")
    options = {"unencodable": "vendor", "source_system": io_testing.SOURCE_SYSTEM, "chunk_persons": 9}
    span = io_testing.export_to(pg_database, pg_tenants.a, tmp_path / "span", **options)
    real = exporter._ido_params
    monkeypatch.setattr(exporter, "_ido_params", lambda pg, ids: {"ido_ids": ids.sort().to_list()} if pg else real(
        pg, ids))
    listed = io_testing.export_to(pg_database, pg_tenants.a, tmp_path / "list", **options)
    for name, path in span.files.items():
        assert listed.files[name].read_bytes() == path.read_bytes(), name
