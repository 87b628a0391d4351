"""Certificates: 交付履歴 (issues and the persons on them), 処分 (disposals), daily 連番 counters.

Revision ID: 0610_certificates
Revises: 0600_protection
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lgcloud.db.rls import secure_tenant_tables

revision: str = "0610_certificates"
down_revision: str | Sequence[str] | None = "0600_protection"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "certificates_counters",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", "name", name=op.f("pk_certificates_counters")),
    )
    op.create_table(
        "certificates_issues",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("issue_id", sa.BigInteger(), nullable=False),
        sa.Column("issue_no", sa.String(length=200), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("cert_type", sa.String(length=20), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("terminal", sa.String(length=40), nullable=False),
        sa.Column("printer", sa.String(length=40), nullable=False),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("verification", sa.String(length=80), nullable=False),
        sa.Column("mynumber_printed", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.BigInteger(), nullable=True),
        sa.Column("reissue_of", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("lg_code", "issue_id", name=op.f("pk_certificates_issues")),
    )
    op.create_index("ix_certificates_issues_day", "certificates_issues", ["lg_code", "issued_on"])
    op.create_table(
        "certificates_issue_subjects",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("issue_id", sa.BigInteger(), nullable=False),
        sa.Column("atena_no", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", "issue_id", "atena_no", name=op.f("pk_certificates_issue_subjects")),
        sa.ForeignKeyConstraint(
            ["lg_code", "issue_id"],
            ["certificates_issues.lg_code", "certificates_issues.issue_id"],
            name=op.f("fk_certificates_issue_subjects_lg_code_certificates_issues"),
        ),
    )
    op.create_index("ix_certificates_issue_subjects_atena", "certificates_issue_subjects", ["lg_code", "atena_no"])
    op.create_table(
        "certificates_disposals",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("issue_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("disposed_by", sa.String(length=200), nullable=False),
        sa.Column("disposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", "issue_id", name=op.f("pk_certificates_disposals")),
        sa.ForeignKeyConstraint(
            ["lg_code", "issue_id"],
            ["certificates_issues.lg_code", "certificates_issues.issue_id"],
            name=op.f("fk_certificates_disposals_lg_code_certificates_issues"),
        ),
    )
    secure_tenant_tables(
        read_write=("certificates_counters",),
        append_only=("certificates_issues", "certificates_issue_subjects", "certificates_disposals"),
    )


def downgrade() -> None:
    for table in (
        "certificates_disposals",
        "certificates_issue_subjects",
        "certificates_issues",
        "certificates_counters",
    ):
        op.drop_table(table)
