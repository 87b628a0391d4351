"""Fixtures for layout tests; ``layout_mini`` (helpers shared by the test modules) is importable in any
pytest import mode."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from layout_mini import mini_layout

from lgcloud.layout import Layout


@pytest.fixture(scope="session")
def mini() -> Layout:
    return mini_layout()
