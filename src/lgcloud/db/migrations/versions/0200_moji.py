"""moji: per-municipality 外字 mapping (versioned, append-only).

Revision ID: 0200_moji
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lgcloud.db.rls import secure_tenant_tables

revision: str = "0200_moji"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("moji",)
depends_on: str | Sequence[str] | None = None

TABLE = "moji_gaiji_mappings"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("source_system", sa.String(length=64), nullable=False),
        sa.Column("source_kind", sa.String(length=8), nullable=False),
        sa.Column("source_code", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("mj_code", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "lg_code", "source_system", "source_kind", "source_code", "version", name=op.f("pk_moji_gaiji_mappings")
        ),
    )
    secure_tenant_tables(append_only=(TABLE,))


def downgrade() -> None:
    op.drop_table(TABLE)
