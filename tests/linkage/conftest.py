"""Fixtures of the linkage tests."""

from __future__ import annotations

import pytest
from linkage_helpers import Clerk

from lgcloud.db import Database


@pytest.fixture
def clerk(database: Database, tenants) -> Clerk:  # type: ignore[no-untyped-def]
    return Clerk(database, tenants.a)


@pytest.fixture
def clerk_b(database: Database, tenants) -> Clerk:  # type: ignore[no-untyped-def]
    return Clerk(database, tenants.b)
