"""Fixtures of the linkage tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The test modules import helper modules of this directory (linkage_helpers, receiver, scenarios); with
# ``--import-mode=importlib`` pytest does not put it on sys.path, so do it once.
sys.path.insert(0, str(Path(__file__).parent))

from linkage_helpers import Clerk

from lgcloud.db import Database


@pytest.fixture
def clerk(database: Database, tenants) -> Clerk:  # type: ignore[no-untyped-def]
    return Clerk(database, tenants.a)


@pytest.fixture
def clerk_b(database: Database, tenants) -> Clerk:  # type: ignore[no-untyped-def]
    return Clerk(database, tenants.b)
