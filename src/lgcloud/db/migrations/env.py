from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from lgcloud.db.models import load_all_models

target_metadata = load_all_models()


def run_migrations() -> None:
    url = context.config.attributes["owner_url"]
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
