"""抑止 / 支援措置: suppressions, events, 支援措置 revisions and subjects, disclosure requests, counters.

Revision ID: 0600_protection
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lgcloud.db.rls import secure_tenant_tables

revision: str = "0600_protection"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("protection",)
depends_on: str | Sequence[str] | None = None

READ_WRITE = ("protection_counters", "protection_disclosure_requests")
#: Suppressions, events and 支援措置 revisions only ever grow: no UPDATE or DELETE for the application.
APPEND_ONLY = (
    "protection_suppressions",
    "protection_events",
    "protection_support_revisions",
    "protection_support_subjects",
)


def _lg() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("lg_code", sa.String(length=6), nullable=False)


def _at(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "protection_counters",
        _lg(),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", "name", name=op.f("pk_protection_counters")),
    )
    op.create_table(
        "protection_suppressions",
        _lg(),
        sa.Column("suppression_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(length=4), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("process", sa.String(length=10), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("support_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        _at("created_at"),
        sa.PrimaryKeyConstraint("lg_code", "suppression_id", name=op.f("pk_protection_suppressions")),
    )
    op.create_index("ix_protection_suppressions_target", "protection_suppressions", ["lg_code", "target"])
    op.create_table(
        "protection_events",
        _lg(),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("suppression_id", sa.BigInteger(), nullable=True),
        sa.Column("support_id", sa.BigInteger(), nullable=True),
        sa.Column("request_id", sa.BigInteger(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        _at("occurred_at"),
        _at("expires_at", nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("lg_code", "event_id", name=op.f("pk_protection_events")),
    )
    op.create_index("ix_protection_events_suppression", "protection_events", ["lg_code", "suppression_id"])
    op.create_table(
        "protection_support_revisions",
        _lg(),
        sa.Column("support_id", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=True),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        _at("recorded_at"),
        sa.PrimaryKeyConstraint("lg_code", "support_id", "revision", name=op.f("pk_protection_support_revisions")),
    )
    op.create_table(
        "protection_support_subjects",
        _lg(),
        sa.Column("support_id", sa.BigInteger(), nullable=False),
        sa.Column("atena_no", sa.String(length=20), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", "support_id", "atena_no", name=op.f("pk_protection_support_subjects")),
    )
    op.create_index("ix_protection_support_subjects_atena", "protection_support_subjects", ["lg_code", "atena_no"])
    op.create_table(
        "protection_disclosure_requests",
        _lg(),
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("process", sa.String(length=10), nullable=False),
        sa.Column("persons", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        _at("requested_at"),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        _at("reviewed_at", nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        _at("expires_at", nullable=True),
        _at("used_at", nullable=True),
        sa.PrimaryKeyConstraint("lg_code", "request_id", name=op.f("pk_protection_disclosure_requests")),
    )
    secure_tenant_tables(read_write=READ_WRITE, append_only=APPEND_ONLY)


def downgrade() -> None:
    for table in (*APPEND_ONLY, *READ_WRITE):
        op.drop_table(table)
