"""Fixtures of the 住民記録 tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Test modules here import the helper module ``residents_desk``; with ``--import-mode=importlib``
# pytest no longer puts this directory on sys.path, so do it once.
sys.path.insert(0, str(Path(__file__).parent))

from residents_desk import Desk

from lgcloud.db import Database


@pytest.fixture
def desk(database: Database) -> Desk:
    return Desk(database)
