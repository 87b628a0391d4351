"""連携: webhook signing secrets sealed at rest (AES-GCM under a key derived from LGCLOUD_SECRET_KEY).

The column grows to hold the sealed form; secrets stored in the clear by earlier versions are sealed in
place, with the key of the environment running the upgrade (the application's own).

Revision ID: 0720_sealed_secrets
Revises: 0710_outbox_notify
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from lgcloud.sealing import is_sealed, seal, unseal

revision: str = "0720_sealed_secrets"
down_revision: str | Sequence[str] | None = "0710_outbox_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "linkage_subscriptions"
#: lgcloud.linkage.subscriptions.SECRET_PURPOSE when this revision was written (revisions do not import code
#: that may change under them).
PURPOSE = "linkage:webhook-signing-secret"


def _rewrite(change: Callable[[str, str], str | None]) -> None:
    """Every subscription's secret through ``change(lg_code, secret)`` (None: leave it), all municipalities."""
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    if postgresql:
        op.execute(f"ALTER TABLE {TABLE} NO FORCE ROW LEVEL SECURITY")  # the owner sees every municipality
    for lg_code, sub_id, secret in bind.execute(sa.text(f"SELECT lg_code, sub_id, secret FROM {TABLE}")).all():
        if (new := change(lg_code, secret)) is not None:
            bind.execute(
                sa.text(f"UPDATE {TABLE} SET secret = :new WHERE lg_code = :lg AND sub_id = :sub"),
                {"new": new, "lg": lg_code, "sub": sub_id},
            )
    if postgresql:
        op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")


def _secret_length(length: int, was: int) -> None:
    if op.get_bind().dialect.name == "postgresql":  # SQLite does not enforce a VARCHAR length
        op.alter_column(TABLE, "secret", type_=sa.String(length), existing_type=sa.String(was), existing_nullable=False)


def upgrade() -> None:
    _secret_length(255, was=100)
    _rewrite(lambda lg, secret: None if is_sealed(secret) else seal(secret, purpose=PURPOSE, lg_code=lg))


def downgrade() -> None:
    _rewrite(lambda lg, secret: unseal(secret, purpose=PURPOSE, lg_code=lg) if is_sealed(secret) else None)
    _secret_length(100, was=255)
