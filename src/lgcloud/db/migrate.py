"""Alembic, configured in code so the migrations ship inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(owner_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    config.attributes["owner_url"] = owner_url
    return config


def upgrade(owner_url: str, target: str = "heads") -> None:
    """Bring the schema up to date. Each capability keeps its own branch, hence ``heads``."""
    command.upgrade(alembic_config(owner_url), target)
