"""連携: wake listeners when events are committed (PostgreSQL ``NOTIFY``), instead of polling.

A statement-level trigger on ``residents_outbox`` sends one ``NOTIFY lgcloud_outbox, '<lg_code>:<seq>'``
per municipality written by the statement (``seq``: the highest it wrote). PostgreSQL delivers
notifications only at commit, so a listener never hears of an event that was rolled back. The payload
names no person: listeners are lgcloud's own worker and web processes, which then read the outbox under
that tenant's row-level security.

Revision ID: 0710_outbox_notify
Revises: 0700_linkage
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0710_outbox_notify"
down_revision: str | Sequence[str] | None = "0700_linkage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Also in :mod:`lgcloud.linkage.signal`.
CHANNEL = "lgcloud_outbox"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION lgcloud_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', lg_code || ':' || top)
            FROM (SELECT lg_code, max(seq) AS top FROM inserted GROUP BY lg_code) AS written;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER residents_outbox_notify AFTER INSERT ON residents_outbox
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION lgcloud_outbox_notify()
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER residents_outbox_notify ON residents_outbox")
    op.execute("DROP FUNCTION lgcloud_outbox_notify()")
