"""住民記録: history (full snapshots), 異動 records, current pointers, households, counters, outbox.

Revision ID: 0400_residents
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lgcloud.db.rls import secure_tenant_tables

revision: str = "0400_residents"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("residents",)
depends_on: str | Sequence[str] | None = None

READ_WRITE = ("residents_counters", "residents_households", "residents_current")
#: History, 異動 records and the outbox only ever grow: no UPDATE or DELETE for the application.
APPEND_ONLY = ("residents_ido", "residents_history", "residents_outbox")


def key_type(length: int) -> sa.types.TypeEngine[str]:
    """Search keys compare by code point on PostgreSQL, so a prefix search is a btree range."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "residents_counters",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", "name", name=op.f("pk_residents_counters")),
    )
    op.create_table(
        "residents_households",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("setai_no", sa.String(length=20), nullable=False),
        sa.Column("created_ido_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", "setai_no", name=op.f("pk_residents_households")),
    )
    op.create_table(
        "residents_ido",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("ido_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("reason_class", sa.String(length=4), nullable=False),
        sa.Column("ido_date", sa.Date(), nullable=True),
        sa.Column("ido_date_text", sa.Text(), nullable=True),
        sa.Column("shori_date", sa.Date(), nullable=False),
        sa.Column("todokede_date", sa.Date(), nullable=True),
        sa.Column("notice_date", sa.Date(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.Column("command", sa.JSON(), nullable=False),
        sa.Column("cancels_ido_id", sa.BigInteger(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", "ido_id", name=op.f("pk_residents_ido")),
    )
    op.create_index("ix_residents_ido_cancels", "residents_ido", ["lg_code", "cancels_ido_id"])
    op.create_table(
        "residents_history",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("atena_no", sa.String(length=20), nullable=False),
        sa.Column("rireki_no", sa.Integer(), nullable=False),
        sa.Column("ido_id", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
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
        sa.Column("tsusho_kana_confirmed", sa.Boolean(), nullable=True),
        sa.Column("tsusho_recorded_on", sa.Date(), nullable=True),
        sa.Column("tsusho_deleted_on", sa.Date(), nullable=True),
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
        sa.Column("move_out_to_postal_code", sa.String(length=10), nullable=True),
        sa.Column("move_out_confirmed_to", sa.Text(), nullable=True),
        sa.Column("move_out_on", sa.Date(), nullable=True),
        sa.Column("move_in_notice_on", sa.Date(), nullable=True),
        sa.Column("removed_on", sa.Date(), nullable=True),
        sa.Column("removed_on_text", sa.Text(), nullable=True),
        sa.Column("nationality", sa.String(length=60), nullable=True),
        sa.Column("foreign_status_kind", sa.String(length=40), nullable=True),
        sa.Column("residence_status", sa.String(length=60), nullable=True),
        sa.Column("period_of_stay", sa.String(length=40), nullable=True),
        sa.Column("stay_expires_on", sa.Date(), nullable=True),
        sa.Column("residence_card_no", sa.String(length=20), nullable=True),
        sa.Column("became_foreign_resident_on", sa.Date(), nullable=True),
        sa.Column("became_foreign_resident_on_text", sa.Text(), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("kana_key", key_type(200), nullable=True),
        sa.Column("kana_mei_key", key_type(200), nullable=True),
        sa.Column("name_key", key_type(200), nullable=True),
        sa.Column("name_mei_key", key_type(200), nullable=True),
        sa.Column("alias_kana_key", key_type(200), nullable=True),
        sa.Column("alias_key", key_type(200), nullable=True),
        sa.Column("address_key", key_type(200), nullable=True),
        sa.PrimaryKeyConstraint("lg_code", "atena_no", "rireki_no", name=op.f("pk_residents_history")),
        sa.ForeignKeyConstraint(
            ["lg_code", "ido_id"],
            ["residents_ido.lg_code", "residents_ido.ido_id"],
            name=op.f("fk_residents_history_lg_code_residents_ido"),
        ),
    )
    op.create_index("ix_residents_history_address", "residents_history", ["lg_code", "address_key", "atena_no"])
    op.create_index("ix_residents_history_alias", "residents_history", ["lg_code", "alias_key", "atena_no"])
    op.create_index("ix_residents_history_alias_kana", "residents_history", ["lg_code", "alias_kana_key", "atena_no"])
    op.create_index("ix_residents_history_birth", "residents_history", ["lg_code", "birth_date", "atena_no"])
    op.create_index("ix_residents_history_card", "residents_history", ["lg_code", "residence_card_no"])
    op.create_index("ix_residents_history_ido", "residents_history", ["lg_code", "ido_id"])
    op.create_index("ix_residents_history_juminhyo", "residents_history", ["lg_code", "juminhyo_code"])
    op.create_index("ix_residents_history_kana", "residents_history", ["lg_code", "kana_key", "atena_no"])
    op.create_index("ix_residents_history_kana_mei", "residents_history", ["lg_code", "kana_mei_key", "atena_no"])
    op.create_index("ix_residents_history_mynumber", "residents_history", ["lg_code", "mynumber"])
    op.create_index("ix_residents_history_name", "residents_history", ["lg_code", "name_key", "atena_no"])
    op.create_index("ix_residents_history_name_mei", "residents_history", ["lg_code", "name_mei_key", "atena_no"])
    op.create_index("ix_residents_history_setai", "residents_history", ["lg_code", "setai_no"])
    op.create_table(
        "residents_current",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("atena_no", sa.String(length=20), nullable=False),
        sa.Column("rireki_no", sa.Integer(), nullable=False),
        sa.Column("setai_no", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=4), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", "atena_no", name=op.f("pk_residents_current")),
        sa.ForeignKeyConstraint(
            ["lg_code", "atena_no", "rireki_no"],
            ["residents_history.lg_code", "residents_history.atena_no", "residents_history.rireki_no"],
            name=op.f("fk_residents_current_lg_code_residents_history"),
        ),
    )
    op.create_index("ix_residents_current_setai", "residents_current", ["lg_code", "setai_no", "status"])
    op.create_table(
        "residents_outbox",
        sa.Column("lg_code", sa.String(length=6), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("lg_code", "seq", name=op.f("pk_residents_outbox")),
    )
    secure_tenant_tables(read_write=READ_WRITE, append_only=APPEND_ONLY)


def downgrade() -> None:
    for table in (
        "residents_outbox",
        "residents_current",
        "residents_history",
        "residents_ido",
        "residents_households",
        "residents_counters",
    ):
        op.drop_table(table)
