"""Analytics: survey status history by reference date, IT costs, population tables, usage.

Platform-level facts about municipalities, no residents' data and no tenant key (the subject is
``municipality_code``), hence no row-level security; the application role reads and writes them.

Revision ID: 0300_analytics
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lgcloud.db.rls import grant_read_write, grant_sequences

revision: str = "0300_analytics"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("analytics",)
depends_on: str | Sequence[str] | None = None

TABLES = (
    "analytics_status_snapshots",
    "analytics_status_rows",
    "analytics_costs",
    "analytics_population_tables",
    "analytics_population_values",
    "analytics_usage",
)


def _stamp(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "analytics_status_snapshots",
        sa.Column("ref_date", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        _stamp("created_at"),
        sa.PrimaryKeyConstraint("ref_date", name=op.f("pk_analytics_status_snapshots")),
    )
    op.create_table(
        "analytics_status_rows",
        sa.Column("ref_date", sa.Date(), nullable=False),
        sa.Column("municipality_code", sa.String(length=6), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("plan", sa.String(length=20), nullable=True),
        sa.Column("target_fy", sa.Integer(), nullable=True),
        sa.Column("group_name", sa.String(length=200), nullable=True),
        sa.Column("source_file", sa.String(length=300), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        _stamp("imported_at"),
        sa.ForeignKeyConstraint(
            ["ref_date"],
            ["analytics_status_snapshots.ref_date"],
            name=op.f("fk_analytics_status_rows_ref_date_analytics_status_snapshots"),
        ),
        sa.PrimaryKeyConstraint("ref_date", "municipality_code", name=op.f("pk_analytics_status_rows")),
    )
    op.create_table(
        "analytics_costs",
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.String(length=6), nullable=False),
        sa.Column("amount_yen", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        _stamp("recorded_at"),
        sa.PrimaryKeyConstraint("fiscal_year", "municipality_code", name=op.f("pk_analytics_costs")),
    )
    op.create_table(
        "analytics_population_tables",
        sa.Column("table_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _stamp("created_at"),
        sa.PrimaryKeyConstraint("table_id", name=op.f("pk_analytics_population_tables")),
        sa.UniqueConstraint("label", name=op.f("uq_analytics_population_tables_label")),
    )
    op.create_table(
        "analytics_population_values",
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.String(length=6), nullable=False),
        sa.Column("population", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["analytics_population_tables.table_id"],
            name=op.f("fk_analytics_population_values_table_id_analytics_population_tables"),
        ),
        sa.PrimaryKeyConstraint("table_id", "municipality_code", name=op.f("pk_analytics_population_values")),
    )
    op.create_table(
        "analytics_usage",
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("municipality_code", sa.String(length=6), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        _stamp("recorded_at"),
        sa.PrimaryKeyConstraint("period", "metric", "municipality_code", name=op.f("pk_analytics_usage")),
    )
    for table in TABLES:
        grant_read_write(table)
    grant_sequences()


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
