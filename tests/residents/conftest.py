"""Fixtures of the 住民記録 tests."""

from __future__ import annotations

import pytest
from residents_desk import Desk

from lgcloud.db import Database


@pytest.fixture
def desk(database: Database) -> Desk:
    return Desk(database)
