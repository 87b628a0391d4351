"""Foundation: cloud groups, municipalities, users, sessions, API tokens, audit log.

Revision ID: 0001_foundation
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lgcloud.db.rls import create_app_role, grant_read_write, secure_tenant_tables

revision: str = "0001_foundation"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Platform tables: no personal data of residents; the services filter them by municipality.
PLATFORM_TABLES = (
    "tenancy_cloud_groups",
    "tenancy_municipalities",
    "tenancy_group_memberships",
    "tenancy_users",
    "tenancy_sessions",
)


def upgrade() -> None:
    create_app_role()
    op.create_table(
        "tenancy_audit_heads",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", name=op.f("pk_tenancy_audit_heads")),
    )
    op.create_table(
        "tenancy_audit_log",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("source_ip", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", "seq", name=op.f("pk_tenancy_audit_log")),
        sa.UniqueConstraint("lg_code", "entry_hash", name=op.f("uq_tenancy_audit_log_lg_code")),
    )
    op.create_table(
        "tenancy_cloud_groups",
        sa.Column("group_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_tenancy_cloud_groups")),
        sa.UniqueConstraint("code", name=op.f("uq_tenancy_cloud_groups_code")),
    )
    op.create_table(
        "tenancy_municipalities",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_kana", sa.String(length=200), nullable=False),
        sa.Column("prefecture", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("atena_remainder_one", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", name=op.f("pk_tenancy_municipalities")),
    )
    op.create_table(
        "tenancy_api_tokens",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("token_id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["lg_code"],
            ["tenancy_municipalities.lg_code"],
            name=op.f("fk_tenancy_api_tokens_lg_code_tenancy_municipalities"),
        ),
        sa.PrimaryKeyConstraint("lg_code", "token_id", name=op.f("pk_tenancy_api_tokens")),
    )
    op.create_table(
        "tenancy_group_memberships",
        sa.Column("membership_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["tenancy_cloud_groups.group_id"],
            name=op.f("fk_tenancy_group_memberships_group_id_tenancy_cloud_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["lg_code"],
            ["tenancy_municipalities.lg_code"],
            name=op.f("fk_tenancy_group_memberships_lg_code_tenancy_municipalities"),
        ),
        sa.PrimaryKeyConstraint("membership_id", name=op.f("pk_tenancy_group_memberships")),
    )
    op.create_table(
        "tenancy_users",
        sa.Column("user_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("lg_code", sa.String(length=6), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["tenancy_cloud_groups.group_id"],
            name=op.f("fk_tenancy_users_group_id_tenancy_cloud_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["lg_code"],
            ["tenancy_municipalities.lg_code"],
            name=op.f("fk_tenancy_users_lg_code_tenancy_municipalities"),
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_tenancy_users")),
        sa.UniqueConstraint("username", name=op.f("uq_tenancy_users_username")),
    )
    op.create_table(
        "tenancy_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["tenancy_users.user_id"], name=op.f("fk_tenancy_sessions_user_id_tenancy_users")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_tenancy_sessions")),
    )

    for table in PLATFORM_TABLES:
        grant_read_write(table)
    secure_tenant_tables(read_write=("tenancy_api_tokens", "tenancy_audit_heads"), append_only=("tenancy_audit_log",))


def downgrade() -> None:
    for table in (
        "tenancy_sessions",
        "tenancy_users",
        "tenancy_group_memberships",
        "tenancy_api_tokens",
        "tenancy_municipalities",
        "tenancy_cloud_groups",
        "tenancy_audit_log",
        "tenancy_audit_heads",
    ):
        op.drop_table(table)
