"""住民記録: the 住民票コード pool (codes obtained in bulk from the CS, taken at random when a person is 記載).

Revision ID: 0420_code_pool
Revises: 0400_residents
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lgcloud.db.rls import secure_tenant_tables

revision: str = "0420_code_pool"
down_revision: str | Sequence[str] | None = "0400_residents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "residents_code_pool",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("juminhyo_code", sa.String(length=11), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by", sa.String(length=200), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("atena_no", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("lg_code", "juminhyo_code", name=op.f("pk_residents_code_pool")),
    )
    secure_tenant_tables(read_write=("residents_code_pool",))


def downgrade() -> None:
    op.drop_table("residents_code_pool")
