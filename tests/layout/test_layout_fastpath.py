"""The CSV fast path (raw Shift_JIS bytes split by pyarrow, columns decoded one buffer at a time) gives exactly
what the exact path (whole batch decoded, then parsed) gives: the same frames, issues, bad cells and special
rows from the reader, and the same error and 外字 frames from the validator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from layout_mini import GOOD, HEADER, num, row

from lgcloud.layout import (
    Dialect,
    Layout,
    Validator,
    iter_batches,
    load_gaiji_csv,
    load_layout,
    reader,
    resolve_dialect,
)
from lgcloud.migration.generate import GenerateOptions, generate


def _batches(path: Path, spec, dialect: Dialect, fast: bool, batch_bytes: int) -> list:
    old = reader.FAST_CSV
    reader.FAST_CSV = fast
    try:
        return list(iter_batches(path, spec, dialect, batch_bytes=batch_bytes, prefetch=False))
    finally:
        reader.FAST_CSV = old


def _same_batches(path: Path, spec, dialect: Dialect, batch_bytes: int = 8 << 20) -> int:
    """Assert both paths give the same batches; the number of records read."""
    fast = _batches(path, spec, dialect, True, batch_bytes)
    exact = _batches(path, spec, dialect, False, batch_bytes)
    assert len(fast) == len(exact)
    for f, e in zip(fast, exact, strict=True):
        assert f.frame.equals(e.frame, null_equal=True)
        assert f.frame.schema == e.frame.schema
        assert f.issues == e.issues
        assert sorted(f.bad_cells) == sorted(e.bad_cells)
        assert (f.records, f.bytes) == (e.records, e.bytes)
        assert np.array_equal(np.sort(f.special_records), np.sort(e.special_records))
    return sum(b.records for b in fast)


def _validate(layout: Layout, dialect: Dialect, files: list, mapping: dict, fast: bool, batch_bytes: int):
    old = reader.FAST_CSV
    reader.FAST_CSV = fast
    try:
        return Validator(layout, dialect, mapping, batch_bytes=batch_bytes).validate(files)
    finally:
        reader.FAST_CSV = old


@pytest.mark.parametrize(
    ("dialect_name", "batch_bytes"), [("default", 8 << 20), ("default", 40_000), ("csv-cp932-wareki", 100_000)]
)
def test_generated_files_with_injected_errors(tmp_path: Path, dialect_name: str, batch_bytes: int) -> None:
    layout = load_layout("juki")
    dialect = resolve_dialect(layout.dialects, None if dialect_name == "default" else dialect_name)
    assert dialect.encoding == "cp932" and dialect.format == "csv"
    result = generate(
        GenerateOptions(
            rows=1500,
            out=tmp_path,
            errors=0.02,
            gaiji=0.1,
            seed=7,
            dialect=None if dialect_name == "default" else dialect_name,
        )
    )
    files = [(layout.file(n), p) for n, p in result.files.items()]
    for spec, path in files:
        _same_batches(path, spec, dialect, batch_bytes)
    mapping = load_gaiji_csv(result.mapping)
    fast = _validate(layout, dialect, files, mapping, True, batch_bytes)
    exact = _validate(layout, dialect, files, mapping, False, batch_bytes)
    assert fast.errors.equals(exact.errors, null_equal=True)
    key = list(fast.gaiji.columns)
    assert fast.gaiji.sort(key, nulls_last=True).equals(exact.gaiji.sort(key, nulls_last=True), null_equal=True)
    assert [f.records for f in fast.files] == [f.records for f in exact.files]
    assert {"encoding", "encoding-trap", "gaiji-unmapped", "field-count"} <= set(fast.errors["rule"])


def _mini_file(tmp_path: Path, body: bytes, header: bool = True) -> Path:
    path = tmp_path / "people.csv"
    path.write_bytes((HEADER.encode("cp932") + b"\n" if header else b"") + body)
    return path


def _lines(*rows: str, end: bytes = b"\n", codec: str = "cp932") -> bytes:
    return b"".join(r.encode(codec) + end for r in rows)


def _bad(text: str | bytes, at: str, byte: bytes, codec: str = "cp932") -> bytes:
    """``text`` encoded, with the first byte of ``at`` replaced by ``byte``."""
    data = text if isinstance(text, bytes) else text.encode(codec)
    i = data.index(at.encode(codec))
    return data[:i] + byte + data[i + 1 :]


CASES = {
    "clean": _lines(GOOD, row(番号=num(2))),
    "lead byte before a comma": _bad(row(番号=num(2), 住所="東京都"), ",100-", b"\x82") + b"\n",
    "invalid lead mid-field": _bad(row(番号=num(2), 住所="東京都"), "京", b"\x85") + b"\n" + _lines(GOOD),
    "lead byte at the end of the last field": _lines(GOOD) + row(番号=num(3)).encode("cp932") + b"\x81\n",
    "no final line end": _lines(GOOD) + row(番号=num(3), 氏名="山田\ue000").encode("cp932"),
    "lead byte at the very end": _lines(GOOD) + row(番号=num(3)).encode("cp932") + b"\x81",
    "traps": _lines(GOOD).replace("東京都".encode("cp932"), "東京".encode("cp932") + b"\xa0")
    + _lines(row(番号=num(2))).replace(b"100-0001", b"100-000\xfd")
    + _lines(row(番号=num(4))).replace(b"2,1000", b"\x80")
    + _lines(row(番号=num(5), 氏名="田\ue001中\ue757")),
    "blank rows and field counts": _lines(
        GOOD, "", row(番号=num(2)) + ",extra", row(番号=num(3))[:-3], "", row(番号=num(6))
    ),
    "crlf": _lines(GOOD, row(番号=num(2), 住所="東京都"), "", row(番号=num(3)) + ",x", end=b"\r\n"),
    "all-empty column": _lines(*[row(番号=num(i), 郵便="", 住所="") for i in range(2, 40)]),
    "half-width katakana": _lines(row(番号=num(2), カナ="ﾔﾏﾀﾞ ﾀﾛｳ"), GOOD),
    "unmapped double byte": _lines(GOOD)
    + row(番号=num(2)).encode("cp932").replace(b"2,1000", b"\x85\x40,1000")
    + b"\n",
    "several bad cells in a record": _bad(_bad(row(番号=num(2), 住所="東京都"), "京", b"\x85"), "山", b"\xeb") + b"\n",
    "falls back: quotes": _lines(GOOD, row(番号=num(2), 住所='"東京,都"')),
    "falls back: bare CR": _lines(GOOD, row(番号=num(2), 住所="東\r京")),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("batch_bytes", [8 << 20, 300])
def test_hand_made_cases(mini: Layout, tmp_path: Path, case: str, batch_bytes: int) -> None:
    path = _mini_file(tmp_path, CASES[case])
    dialect = Dialect(encoding="cp932")
    _same_batches(path, mini.file("people"), dialect, batch_bytes)
    (tmp_path / "homes.csv").write_bytes("世帯\n1000\n".encode("cp932"))
    files = [(mini.file("people"), path), (mini.file("homes"), tmp_path / "homes.csv")]
    gaiji = {"\ue000": "MJ000001"}
    fast = _validate(mini, dialect, files, gaiji, True, batch_bytes)
    exact = _validate(mini, dialect, files, gaiji, False, batch_bytes)
    assert fast.errors.equals(exact.errors, null_equal=True)
    assert fast.gaiji.equals(exact.gaiji, null_equal=True)


@pytest.mark.parametrize("encoding", ["shift_jis_2004", "cp932"])
def test_tsv_and_other_shift_jis(mini: Layout, tmp_path: Path, encoding: str) -> None:
    body = (
        "\n".join(
            r.replace(",", "\t") for r in [GOOD, row(番号=num(2), 氏名="髙橋　﨑子" if encoding == "cp932" else "高橋")]
        )
        + "\n"
    )
    data = body.encode(encoding)
    i = data.index("東京都".encode(encoding), len(GOOD))
    path = _mini_file(tmp_path, data[:i] + b"\x85" + data[i + 1 :] + b"\t\n")
    path.write_bytes(path.read_bytes().replace(b",", b"\t"))
    _same_batches(path, mini.file("people"), Dialect(format="tsv", encoding=encoding).with_options())


def test_fast_path_is_taken(mini: Layout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard against the fast path silently falling back on ordinary files."""
    path = _mini_file(tmp_path, CASES["blank rows and field counts"] + CASES["invalid lead mid-field"])
    calls = []
    exact = reader._exact_csv_chunk
    monkeypatch.setattr(reader, "_exact_csv_chunk", lambda *a: calls.append(1) or exact(*a))
    batches = list(iter_batches(path, mini.file("people"), Dialect(encoding="cp932"), prefetch=False))
    assert calls == [] and sum(b.frame.height for b in batches) == 4
    assert pl.concat([b.frame for b in batches])["住所"].str.contains("\ufffd").sum() == 1


def _tricky_values() -> list[str | None]:
    values = [
        "",
        " ",
        "0",
        "1",
        "-0",
        "+1",
        " 1",
        "1 ",
        "1_0",
        "0x1",
        "1e3",
        "１",
        "١",
        "01",
        "1.5",
        "1,000",
        "NaN",
        "inf",
        "ｱｲｳ",
        "ア",
        "漢字" * 40,
        "a" * 300,
        "\ufffd",
        "0" * 18,
        "0" * 19,
        "99999999999999999999",
        "18446744073709551616",
        "9223372036854775808",
        "123456789018",
        "123456789019",
        "-23456789018",
        "2023-01-01",
        "2023/01/01",
        "2023-01/01",
        None,
    ]
    for y in (1800, 1868, 1873, 1912, 1926, 1989, 2019, 2100):
        values += [f"{y}{md}" for md in ("0101", "0731", "1231", "0229", "0000", "0100", "0230", "1232", "1301")]
    for era in range(7):
        for yy in ("00", "01", "02", "06", "15", "31", "45", "64", "99"):
            for md in ("0101", "0107", "0108", "0430", "0501", "0729", "0730", "1225", "0229", "0000", "0100"):
                values += [f"{era}{yy}{md}", f"{era:02d}{yy}{md}"]
    return values


@pytest.mark.parametrize("dialect_name", ["default", "csv-cp932-wareki", "csv-utf8", "fixed-cp932"])
def test_cheap_first_passes_never_pass_an_invalid_value(dialect_name: str) -> None:
    """The validator evaluates a rule's exact test only on rows its cheap first pass flagged."""
    from lgcloud.layout.validator import _item_failures

    layout = load_layout("juki")
    dialect = resolve_dialect(layout.dialects, None if dialect_name == "default" else dialect_name)
    values = _tricky_values()
    for spec in layout.files:
        for item in spec.items:
            for policy in ("zero", "skip"):
                for check in _item_failures(item, layout, dialect, policy):
                    if check.cheap is None:
                        continue
                    flags = pl.DataFrame({item.name: values}, schema={item.name: pl.String}).select(
                        check.exact.fill_null(False).alias("exact"), check.cheap.fill_null(False).alias("cheap")
                    )
                    missed = [v for v, e, c in zip(values, flags["exact"], flags["cheap"], strict=True) if e and not c]
                    assert not missed, (item.name, check.rule, missed[:5])
