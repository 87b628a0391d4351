"""Imports every capability's models so that ``Base.metadata`` is complete (Alembic, tests)."""

from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import MetaData

import lgcloud
from lgcloud.db.base import Base


def load_all_models() -> MetaData:
    for module in pkgutil.iter_modules(lgcloud.__path__):
        if module.ispkg:
            try:
                importlib.import_module(f"lgcloud.{module.name}.models")
            except ModuleNotFoundError as exc:
                if exc.name != f"lgcloud.{module.name}.models":
                    raise
    return Base.metadata
