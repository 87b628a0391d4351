"""Fixtures for layout tests."""

from __future__ import annotations

import pytest
from layout_mini import mini_layout

from lgcloud.layout import Layout


@pytest.fixture(scope="session")
def mini() -> Layout:
    return mini_layout()
