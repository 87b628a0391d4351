"""migration: import/export jobs, per-batch done-markers, staging (UNLOGGED on PostgreSQL), source extras.

Revision ID: 0500_migration
Revises: 0001_foundation
Depends on: 0400_residents (imports merge into the residents tables)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lgcloud.db.rls import secure_tenant_tables

revision: str = "0500_migration"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("migration",)
depends_on: str | Sequence[str] | None = ("0400_residents",)

STAGING = ("migration_staging_person", "migration_staging_foreign", "migration_staging_household")
READ_WRITE = ("migration_jobs", "migration_batches", *STAGING)
#: What the registry cannot hold of a history row is kept as long as the row: never changed or removed.
APPEND_ONLY = ("migration_extras", "migration_household_extras")


def upgrade() -> None:
    op.create_table(
        "migration_jobs",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("phase", sa.String(length=12), nullable=False),
        sa.Column("layout", sa.String(length=40), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("work_dir", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("bytes_total", sa.BigInteger(), nullable=False),
        sa.Column("bytes_done", sa.BigInteger(), nullable=False),
        sa.Column("records_total", sa.BigInteger(), nullable=False),
        sa.Column("loaded", sa.BigInteger(), nullable=False),
        sa.Column("quarantined", sa.BigInteger(), nullable=False),
        sa.Column("batches_total", sa.Integer(), nullable=False),
        sa.Column("batches_done", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("lg_code", "job_id", name=op.f("pk_migration_jobs")),
    )
    op.create_table(
        "migration_batches",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("phase", sa.String(length=12), nullable=False),
        sa.Column("batch_no", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", "job_id", "phase", "batch_no", name=op.f("pk_migration_batches")),
    )
    op.create_table(
        "migration_staging_person",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("file_no", sa.Integer(), nullable=False),
        sa.Column("record", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.BigInteger(), nullable=False),
        sa.Column("byte_offset", sa.BigInteger(), nullable=False),
        sa.Column("byte_length", sa.Integer(), nullable=False),
        sa.Column("atena_no", sa.String(length=20), nullable=False),
        sa.Column("rireki_no", sa.Integer(), nullable=False),
        sa.Column("ido_reason", sa.String(length=40), nullable=True),
        sa.Column("ido_reason_class", sa.String(length=4), nullable=True),
        sa.Column("ido_date", sa.Date(), nullable=True),
        sa.Column("ido_date_text", sa.Text(), nullable=True),
        sa.Column("shori_date", sa.Date(), nullable=True),
        sa.Column("todokede_date", sa.Date(), nullable=True),
        sa.Column("notice_date", sa.Date(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("setai_no", sa.String(length=20), nullable=True),
        sa.Column("kind", sa.String(length=1), nullable=True),
        sa.Column("status", sa.String(length=4), nullable=True),
        sa.Column("shimei", sa.Text(), nullable=True),
        sa.Column("shimei_kana", sa.Text(), nullable=True),
        sa.Column("shimei_kana_confirmed", sa.Boolean(), nullable=True),
        sa.Column("alpha_name", sa.Text(), nullable=True),
        sa.Column("kyushi", sa.Text(), nullable=True),
        sa.Column("kyushi_kana", sa.Text(), nullable=True),
        sa.Column("kyushi_kana_confirmed", sa.Boolean(), nullable=True),
        sa.Column("tsusho", sa.Text(), nullable=True),
        sa.Column("tsusho_kana", sa.Text(), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("birth_date_text", sa.Text(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("zokugara", sa.String(length=60), nullable=True),
        sa.Column("head_name", sa.Text(), nullable=True),
        sa.Column("household_order", sa.Integer(), nullable=True),
        sa.Column("honseki", sa.Text(), nullable=True),
        sa.Column("hittosha", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("address_code", sa.String(length=20), nullable=True),
        sa.Column("katagaki", sa.Text(), nullable=True),
        sa.Column("postal_code", sa.String(length=10), nullable=True),
        sa.Column("became_resident_on", sa.Date(), nullable=True),
        sa.Column("became_resident_on_text", sa.Text(), nullable=True),
        sa.Column("address_set_on", sa.Date(), nullable=True),
        sa.Column("address_set_on_text", sa.Text(), nullable=True),
        sa.Column("notified_on", sa.Date(), nullable=True),
        sa.Column("prev_address", sa.Text(), nullable=True),
        sa.Column("prev_postal_code", sa.String(length=10), nullable=True),
        sa.Column("juminhyo_code", sa.String(length=11), nullable=True),
        sa.Column("mynumber", sa.String(length=12), nullable=True),
        sa.Column("elector", sa.Boolean(), nullable=True),
        sa.Column("kokuho", sa.Boolean(), nullable=True),
        sa.Column("kouki", sa.Boolean(), nullable=True),
        sa.Column("kaigo", sa.Boolean(), nullable=True),
        sa.Column("pension_no", sa.String(length=10), nullable=True),
        sa.Column("pension_kind", sa.String(length=20), nullable=True),
        sa.Column("child_allowance_from", sa.String(length=7), nullable=True),
        sa.Column("adult_guardianship", sa.Boolean(), nullable=True),
        sa.Column("removal_reason", sa.String(length=40), nullable=True),
        sa.Column("move_out_planned_on", sa.Date(), nullable=True),
        sa.Column("move_out_to", sa.Text(), nullable=True),
        sa.Column("move_out_on", sa.Date(), nullable=True),
        sa.Column("removed_on", sa.Date(), nullable=True),
        sa.Column("removed_on_text", sa.Text(), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("kana_key", sa.String(length=200), nullable=True),
        sa.Column("kana_mei_key", sa.String(length=200), nullable=True),
        sa.Column("name_key", sa.String(length=200), nullable=True),
        sa.Column("name_mei_key", sa.String(length=200), nullable=True),
        sa.Column("alias_kana_key", sa.String(length=200), nullable=True),
        sa.Column("alias_key", sa.String(length=200), nullable=True),
        sa.Column("address_key", sa.String(length=200), nullable=True),
        sa.Column("extras", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("lg_code", "job_id", "seq", name=op.f("pk_migration_staging_person")),
    )
    op.create_index(
        "ix_migration_staging_person_key", "migration_staging_person", ["lg_code", "job_id", "atena_no", "rireki_no"]
    )
    op.create_table(
        "migration_staging_foreign",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("file_no", sa.Integer(), nullable=False),
        sa.Column("record", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.BigInteger(), nullable=False),
        sa.Column("byte_offset", sa.BigInteger(), nullable=False),
        sa.Column("byte_length", sa.Integer(), nullable=False),
        sa.Column("atena_no", sa.String(length=20), nullable=False),
        sa.Column("rireki_no", sa.Integer(), nullable=False),
        sa.Column("nationality", sa.String(length=60), nullable=True),
        sa.Column("foreign_status_kind", sa.String(length=40), nullable=True),
        sa.Column("residence_status", sa.String(length=60), nullable=True),
        sa.Column("period_of_stay", sa.String(length=40), nullable=True),
        sa.Column("stay_expires_on", sa.Date(), nullable=True),
        sa.Column("residence_card_no", sa.String(length=20), nullable=True),
        sa.Column("became_foreign_resident_on", sa.Date(), nullable=True),
        sa.Column("became_foreign_resident_on_text", sa.Text(), nullable=True),
        sa.Column("tsusho_recorded_on", sa.Date(), nullable=True),
        sa.Column("extras", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("lg_code", "job_id", "seq", name=op.f("pk_migration_staging_foreign")),
    )
    op.create_index(
        "ix_migration_staging_foreign_key", "migration_staging_foreign", ["lg_code", "job_id", "atena_no", "rireki_no"]
    )
    op.create_table(
        "migration_staging_household",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("file_no", sa.Integer(), nullable=False),
        sa.Column("record", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.BigInteger(), nullable=False),
        sa.Column("byte_offset", sa.BigInteger(), nullable=False),
        sa.Column("byte_length", sa.Integer(), nullable=False),
        sa.Column("setai_no", sa.String(length=20), nullable=False),
        sa.Column("items", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("lg_code", "job_id", "seq", name=op.f("pk_migration_staging_household")),
    )
    op.create_table(
        "migration_extras",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("atena_no", sa.String(length=20), nullable=False),
        sa.Column("rireki_no", sa.Integer(), nullable=False),
        sa.Column("part", sa.String(length=10), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", "atena_no", "rireki_no", "part", name=op.f("pk_migration_extras")),
    )
    op.create_table(
        "migration_household_extras",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("setai_no", sa.String(length=20), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", "setai_no", name=op.f("pk_migration_household_extras")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in STAGING:  # staging is rebuilt from the input files on a rerun: no WAL needed
            op.execute(f"ALTER TABLE {table} SET UNLOGGED")
    secure_tenant_tables(read_write=READ_WRITE, append_only=APPEND_ONLY)


def downgrade() -> None:
    for table in (*APPEND_ONLY, *READ_WRITE):
        op.drop_table(table)
