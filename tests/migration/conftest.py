"""Generated data sets shared by the migration tests (small: the suite stays fast)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lgcloud.migration.generate import GenerateOptions, GenerateResult, generate


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory):
    cache: dict[str, GenerateResult] = {}

    def make(dialect: str = "default", rows: int = 1500, errors: float = 0.02, gaiji: float = 0.05,
             seed: int = 3) -> GenerateResult:
        key = f"{dialect}-{rows}-{errors}-{gaiji}-{seed}"
        if key not in cache:
            out: Path = tmp_path_factory.mktemp(key)
            cache[key] = generate(GenerateOptions(rows=rows, out=out, errors=errors, gaiji=gaiji, seed=seed,
                                                  dialect=None if dialect == "default" else dialect))
        return cache[key]

    return make
