"""連携: webhook subscriptions and deliveries, attempts, 団体間 inbox, cursors, 差分/全件 file exports.

Revision ID: 0700_linkage
Revises: 0001_foundation
Depends on: 0400_residents (events come from ``residents_outbox``)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lgcloud.db.rls import secure_tenant_tables

revision: str = "0700_linkage"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("linkage",)
depends_on: str | Sequence[str] | None = "0400_residents"

READ_WRITE = (
    "linkage_subscriptions",
    "linkage_deliveries",
    "linkage_inbox",
    "linkage_cursors",
    "linkage_file_settings",
)
#: Every HTTP attempt and every file set written are records: the application only adds them.
APPEND_ONLY = ("linkage_attempts", "linkage_file_exports")


def _lg() -> sa.Column[str]:
    return sa.Column("lg_code", sa.String(length=6), nullable=False)


def upgrade() -> None:
    op.create_table(
        "linkage_subscriptions",
        _lg(),
        sa.Column("sub_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", "sub_id", name=op.f("pk_linkage_subscriptions")),
    )
    op.create_table(
        "linkage_deliveries",
        _lg(),
        sa.Column("sub_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("lg_code", "sub_id", "seq", name=op.f("pk_linkage_deliveries")),
        sa.ForeignKeyConstraint(
            ["lg_code", "sub_id"],
            ["linkage_subscriptions.lg_code", "linkage_subscriptions.sub_id"],
            name=op.f("fk_linkage_deliveries_lg_code_linkage_subscriptions"),
        ),
    )
    op.create_index("ix_linkage_deliveries_due", "linkage_deliveries", ["lg_code", "state", "next_attempt_at"])
    op.create_table(
        "linkage_attempts",
        _lg(),
        sa.Column("sub_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", "sub_id", "seq", "attempt", name=op.f("pk_linkage_attempts")),
    )
    op.create_table(
        "linkage_inbox",
        _lg(),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("from_lg_code", sa.String(length=6), nullable=False),
        sa.Column("ref", sa.String(length=60), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("lg_code", "item_id", name=op.f("pk_linkage_inbox")),
        sa.UniqueConstraint("lg_code", "kind", "from_lg_code", "ref", name="uq_linkage_inbox_ref"),
    )
    op.create_table(
        "linkage_cursors",
        _lg(),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", "name", name=op.f("pk_linkage_cursors")),
    )
    op.create_table(
        "linkage_file_settings",
        _lg(),
        sa.Column("every_minutes", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", name=op.f("pk_linkage_file_settings")),
    )
    op.create_table(
        "linkage_file_exports",
        _lg(),
        sa.Column("export_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("from_seq", sa.BigInteger(), nullable=False),
        sa.Column("to_seq", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("directory", sa.Text(), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", "export_id", name=op.f("pk_linkage_file_exports")),
    )
    secure_tenant_tables(read_write=READ_WRITE, append_only=APPEND_ONLY)


def downgrade() -> None:
    for table in (
        "linkage_file_exports",
        "linkage_file_settings",
        "linkage_cursors",
        "linkage_inbox",
        "linkage_attempts",
        "linkage_deliveries",
        "linkage_subscriptions",
    ):
        op.drop_table(table)
