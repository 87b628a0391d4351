"""The generator: realistic, synthetic, deterministic files whose injected errors the validator finds exactly."""

from __future__ import annotations

import polars as pl
import pytest

from lgcloud import codes
from lgcloud.layout import Validator, load_gaiji_csv, load_layout, resolve_dialect
from lgcloud.migration.generate import VENDOR_GAIJI

KEY = ["file", "line", "item", "rule"]


def _validate(result, dialect: str):
    layout = load_layout("juki")
    d = resolve_dialect(layout.dialects, None if dialect == "default" else dialect)
    mapping = load_gaiji_csv(result.mapping)
    return Validator(layout, d, mapping).validate([(layout.file(n), p) for n, p in result.files.items()])


@pytest.mark.parametrize("dialect", ["default", "csv-utf8", "csv-utf8-bom", "csv-cp932-wareki", "fixed-cp932",
                                     "tsv-euc"])
def test_injected_errors_match_the_report_exactly(generated, dialect: str) -> None:
    result = generated(dialect)
    manifest = pl.read_csv(result.manifest, schema_overrides={"item": pl.String})
    report = _validate(result, dialect)
    got = report.errors.select(KEY).sort(KEY, nulls_last=True)
    want = manifest.select(KEY).sort(KEY, nulls_last=True)
    assert got.to_dicts() == want.to_dicts()
    rules = set(manifest["rule"])
    assert {"required", "type", "date", "code", "length", "pattern", "check-digit", "range", "encoding",
            "required-if", "date-order", "primary-key", "foreign-key", "group-count", "sequence"} <= rules
    assert ("field-count" if dialect != "fixed-cp932" else "record-length") in rules
    if dialect in ("default", "csv-cp932-wareki", "fixed-cp932"):
        assert {"encoding-trap", "gaiji-unmapped", "gaiji-not-allowed"} <= rules


def test_clean_data_is_valid_and_uses_vendor_gaiji(generated) -> None:
    result = generated(errors=0.0, gaiji=0.2)
    report = _validate(result, "default")
    assert report.valid, report.errors.head()
    assert report.gaiji.height > 0
    assert set(report.gaiji["vendor_code"]) <= {code for code, *_ in VENDOR_GAIJI}
    assert result.counts["person"] == 1500 and result.counts["household"] > 300


def test_synthetic_numbers_are_valid_and_data_is_deterministic(generated, tmp_path) -> None:
    from lgcloud.migration.generate import GenerateOptions, generate

    result = generated(errors=0.0, gaiji=0.0, seed=11)
    person = pl.read_csv(result.files["person"], encoding="cp932", infer_schema=False)
    assert all(codes.is_valid_mynumber(v) for v in person["個人番号"].drop_nulls().head(300))
    assert all(codes.is_valid_juminhyo_code(v) for v in person["住民票コード"].drop_nulls().head(300))
    assert all(codes.is_valid_atena(v, "skip") for v in person["宛名番号"].head(300))
    assert person["氏名_フリガナ"].drop_nulls().str.contains("^[ァ-ヶー　 ]+$").all()
    again = generate(GenerateOptions(rows=1500, out=tmp_path, errors=0.0, gaiji=0.0, seed=11))
    assert again.files["person"].read_bytes() == result.files["person"].read_bytes()


def test_mapping_file_is_in_the_moji_import_format(generated) -> None:
    from lgcloud.moji.gaiji import parse_source

    rows = pl.read_csv(generated().mapping).to_dicts()
    assert {"source_system", "source_kind", "source_code", "mj_code", "status"} <= set(rows[0])
    for r in rows:
        assert parse_source(r["source_kind"], r["source_code"]).char == bytes.fromhex(r["source_code"]).decode("cp932")


@pytest.mark.parametrize("rows", [1, 5, 50])
def test_small_files_without_foreign_residents(tmp_path, rows: int) -> None:
    from lgcloud.migration.generate import GenerateOptions, generate

    result = generate(GenerateOptions(rows=rows, out=tmp_path, seed=3))
    assert result.counts["person"] == rows and result.counts["foreign"] == 0
    assert _validate(result, "default").errors.height == 0


def test_the_municipality_code_is_an_option(tmp_path) -> None:
    from lgcloud.migration.generate import GenerateOptions, generate

    result = generate(GenerateOptions(rows=40, out=tmp_path, seed=3, encoding="utf-8", lg_code="182079"))
    person = pl.read_csv(result.files["person"], infer_schema=False)
    assert set(person["市区町村コード"]) == {"182079"} and set(person["住所_市区町村コード"]) == {"182079"}
