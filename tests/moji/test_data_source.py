"""The pinned data source: integrity check and an idempotent build."""

from __future__ import annotations

from pathlib import Path

import pytest

from lgcloud.config import get_settings
from lgcloud.moji import data_source
from lgcloud.moji.build import build_index, index_path


def test_pin_is_a_sha512_integrity() -> None:
    assert data_source.VERSION == "1.8.1"
    assert data_source.INTEGRITY.startswith("sha512-") and len(data_source.INTEGRITY) == 95


def test_a_tampered_tarball_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / data_source.TARBALL_NAME
    fake.write_bytes(b"not the package")
    with pytest.raises(data_source.DataSourceError) as err:
        data_source.verify_tarball(fake)
    assert err.value.code == "moji-integrity-mismatch"


def test_integrity_is_computed_like_npm(tmp_path: Path) -> None:
    sample = tmp_path / "x"
    sample.write_bytes(b"abc")
    assert data_source.sri_sha512(sample) == (
        "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw=="
    )


def test_build_is_idempotent() -> None:
    path, built = build_index(get_settings().cache_dir)
    assert path == index_path(get_settings().cache_dir) and path.exists() and built is False
