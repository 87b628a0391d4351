"""住民記録 tables. ``lg_code`` leads every primary and foreign key (Citus-ready).

- ``residents_history``: one full snapshot per change, keyed (lg_code, 宛名番号, 履歴番号); append-only
  (the application role has no UPDATE/DELETE on PostgreSQL). Search-key columns sit beside the
  snapshot: folded kana, 異体字 matching key, address key; the stored name is never altered.
- ``residents_ido``: the 異動 records (append-only), with the resolved command for replay.
- ``residents_current``: the latest 履歴番号 per person (the only row the application updates), also
  the row locked FOR UPDATE while a 異動 of that person is entered.
- ``residents_households``: 世帯番号 ever issued. ``residents_counters``: per-tenant numbers
  (宛名番号, 世帯番号, 異動, outbox seq). ``residents_outbox``: domain events for linkage, gap-free seq.
- ``residents_code_pool``: 住民票コード obtained in bulk from the CS (住基ネット), each taken once (at random)
  for a 出生 or 国外転入 entered without one.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeEngine

from lgcloud.db.base import Base

metadata = Base.metadata


def key_type(length: int = 200) -> TypeEngine[str]:
    """Search keys compare by code point ("C" collation on PostgreSQL) so a prefix is a btree range."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def _lg() -> Column[str]:
    return Column("lg_code", String(6), nullable=False)


#: The snapshot columns of ``residents_history`` (model.Person, flattened). FlexDate → date + *_text.
PERSON_COLUMNS: list[tuple[str, TypeEngine[object] | type[TypeEngine[object]]]] = [
    ("setai_no", String(20)),
    ("kind", String(1)),
    ("status", String(4)),
    ("shimei", Text),
    ("shimei_kana", Text),
    ("shimei_kana_confirmed", Boolean),
    ("alpha_name", Text),
    ("kyushi", Text),
    ("kyushi_kana", Text),
    ("kyushi_kana_confirmed", Boolean),
    ("tsusho", Text),
    ("tsusho_kana", Text),
    ("tsusho_kana_confirmed", Boolean),
    ("tsusho_recorded_on", Date),
    ("tsusho_deleted_on", Date),
    ("birth_date", Date),
    ("birth_date_text", Text),
    ("sex", String(1)),
    ("zokugara", String(60)),
    ("head_name", Text),
    ("household_order", Integer),
    ("honseki", Text),
    ("hittosha", Text),
    ("address", Text),
    ("address_code", String(20)),
    ("katagaki", Text),
    ("postal_code", String(10)),
    ("became_resident_on", Date),
    ("became_resident_on_text", Text),
    ("address_set_on", Date),
    ("address_set_on_text", Text),
    ("notified_on", Date),
    ("prev_address", Text),
    ("prev_postal_code", String(10)),
    ("juminhyo_code", String(11)),
    ("mynumber", String(12)),
    ("elector", Boolean),
    ("kokuho", Boolean),
    ("kouki", Boolean),
    ("kaigo", Boolean),
    ("pension_no", String(10)),
    ("pension_kind", String(20)),
    ("child_allowance_from", String(7)),
    ("adult_guardianship", Boolean),
    ("removal_reason", String(40)),
    ("move_out_planned_on", Date),
    ("move_out_to", Text),
    ("move_out_to_postal_code", String(10)),
    ("move_out_confirmed_to", Text),
    ("move_out_on", Date),
    ("move_in_notice_on", Date),
    ("removed_on", Date),
    ("removed_on_text", Text),
    ("nationality", String(60)),
    ("foreign_status_kind", String(40)),
    ("residence_status", String(60)),
    ("period_of_stay", String(40)),
    ("stay_expires_on", Date),
    ("residence_card_no", String(20)),
    ("became_foreign_resident_on", Date),
    ("became_foreign_resident_on_text", Text),
    ("remarks", Text),
]

#: Search keys, derived from the snapshot when the row is written (see repository.search_keys).
KEY_COLUMNS = ["kana_key", "kana_mei_key", "name_key", "name_mei_key", "alias_kana_key", "alias_key", "address_key"]

counters = Table(
    "residents_counters",
    metadata,
    _lg(),
    Column("name", String(20), nullable=False),
    Column("value", BigInteger, nullable=False),
    PrimaryKeyConstraint("lg_code", "name"),
)

households = Table(
    "residents_households",
    metadata,
    _lg(),
    Column("setai_no", String(20), nullable=False),
    Column("created_ido_id", BigInteger, nullable=False),
    PrimaryKeyConstraint("lg_code", "setai_no"),
)

ido = Table(
    "residents_ido",
    metadata,
    _lg(),
    Column("ido_id", BigInteger, nullable=False),
    Column("kind", String(30), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("reason_class", String(4), nullable=False),
    Column("ido_date", Date),
    Column("ido_date_text", Text),
    Column("shori_date", Date, nullable=False),
    Column("todokede_date", Date),
    Column("notice_date", Date),
    Column("actor", String(200), nullable=False),
    Column("place", Text),
    Column("note", Text),
    Column("subjects", JSON, nullable=False),
    Column("command", JSON, nullable=False),
    Column("cancels_ido_id", BigInteger),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("lg_code", "ido_id"),
    Index("ix_residents_ido_cancels", "lg_code", "cancels_ido_id"),
)

history = Table(
    "residents_history",
    metadata,
    _lg(),
    Column("atena_no", String(20), nullable=False),
    Column("rireki_no", Integer, nullable=False),
    Column("ido_id", BigInteger, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    *(Column(name, type_) for name, type_ in PERSON_COLUMNS),
    *(Column(name, key_type()) for name in KEY_COLUMNS),
    PrimaryKeyConstraint("lg_code", "atena_no", "rireki_no"),
    ForeignKeyConstraint(["lg_code", "ido_id"], ["residents_ido.lg_code", "residents_ido.ido_id"]),
    Index("ix_residents_history_ido", "lg_code", "ido_id"),
    Index("ix_residents_history_kana", "lg_code", "kana_key", "atena_no"),
    Index("ix_residents_history_kana_mei", "lg_code", "kana_mei_key", "atena_no"),
    Index("ix_residents_history_name", "lg_code", "name_key", "atena_no"),
    Index("ix_residents_history_name_mei", "lg_code", "name_mei_key", "atena_no"),
    Index("ix_residents_history_alias_kana", "lg_code", "alias_kana_key", "atena_no"),
    Index("ix_residents_history_alias", "lg_code", "alias_key", "atena_no"),
    Index("ix_residents_history_address", "lg_code", "address_key", "atena_no"),
    Index("ix_residents_history_birth", "lg_code", "birth_date", "atena_no"),
    Index("ix_residents_history_setai", "lg_code", "setai_no"),
    Index("ix_residents_history_juminhyo", "lg_code", "juminhyo_code"),
    Index("ix_residents_history_mynumber", "lg_code", "mynumber"),
    Index("ix_residents_history_card", "lg_code", "residence_card_no"),
)

current = Table(
    "residents_current",
    metadata,
    _lg(),
    Column("atena_no", String(20), nullable=False),
    Column("rireki_no", Integer, nullable=False),
    Column("setai_no", String(20), nullable=False),
    Column("status", String(4), nullable=False),
    PrimaryKeyConstraint("lg_code", "atena_no"),
    ForeignKeyConstraint(
        ["lg_code", "atena_no", "rireki_no"],
        ["residents_history.lg_code", "residents_history.atena_no", "residents_history.rireki_no"],
    ),
    Index("ix_residents_current_setai", "lg_code", "setai_no", "status"),
)

outbox = Table(
    "residents_outbox",
    metadata,
    _lg(),
    Column("seq", BigInteger, nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("type", String(80), nullable=False),
    Column("subject", String(20)),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("payload", JSON, nullable=False),
    PrimaryKeyConstraint("lg_code", "seq"),
)

code_pool = Table(
    "residents_code_pool",
    metadata,
    _lg(),
    Column("juminhyo_code", String(11), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("received_by", String(200), nullable=False),
    Column("assigned_at", DateTime(timezone=True)),  # NULL: still in the pool
    Column("atena_no", String(20)),  # who it was given to
    PrimaryKeyConstraint("lg_code", "juminhyo_code"),
)

TENANT_TABLES = ("residents_counters", "residents_households", "residents_current", "residents_code_pool")
APPEND_ONLY_TABLES = ("residents_ido", "residents_history", "residents_outbox")
