"""The MJ index is built once (``make`` builds it before the tests; this builds it if absent)."""

from __future__ import annotations

import pytest

from lgcloud.config import get_settings
from lgcloud.moji.build import build_index
from lgcloud.moji.index import MojiIndex, get_index


@pytest.fixture(scope="session", autouse=True)
def moji_index() -> MojiIndex:
    build_index(get_settings().cache_dir)
    return get_index()
