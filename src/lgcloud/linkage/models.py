"""連携 tables. ``lg_code`` leads every primary and foreign key (Citus-ready); RLS on each.

- ``linkage_subscriptions``: a linked system's webhook (URL, signing secret, event types, fan-out cursor).
- ``linkage_deliveries``: one row per (subscription, event): state ``pending`` → ``delivered`` | ``dead``.
- ``linkage_attempts``: every HTTP attempt of a delivery (append-only), for the admin and the auditor.
- ``linkage_inbox``: 団体間 handoffs addressed to this municipality (転出証明書情報, 転入通知).
- ``linkage_cursors``: per-tenant positions of background work in the outbox (handoff scan, 差分 files).
- ``linkage_file_settings`` / ``linkage_file_exports``: the 差分 schedule and every file set written.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from lgcloud.db.base import Base

metadata = Base.metadata


def _lg() -> Column[str]:
    return Column("lg_code", String(6), nullable=False)


subscriptions = Table(
    "linkage_subscriptions",
    metadata,
    _lg(),
    Column("sub_id", Integer, nullable=False),
    Column("name", String(200), nullable=False),  # the linked system, e.g. 国保
    Column("url", Text, nullable=False),
    Column("secret", String(255), nullable=False),  # whsec_… HMAC key, shown once, stored sealed (lgcloud.sealing)
    Column("event_types", JSON, nullable=False),  # [] = every type
    Column("active", Boolean, nullable=False),
    Column("cursor", BigInteger, nullable=False),  # last outbox seq fanned out into deliveries
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    PrimaryKeyConstraint("lg_code", "sub_id"),
)

deliveries = Table(
    "linkage_deliveries",
    metadata,
    _lg(),
    Column("sub_id", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(80), nullable=False),
    Column("state", String(10), nullable=False),  # pending | delivered | dead
    Column("attempts", Integer, nullable=False),  # in the current round (reset by a manual retry / replay)
    Column("tries", Integer, nullable=False),  # every attempt ever: numbers linkage_attempts
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("lg_code", "sub_id", "seq"),
    ForeignKeyConstraint(["lg_code", "sub_id"], ["linkage_subscriptions.lg_code", "linkage_subscriptions.sub_id"]),
    Index("ix_linkage_deliveries_due", "lg_code", "state", "next_attempt_at"),
)

attempts = Table(
    "linkage_attempts",
    metadata,
    _lg(),
    Column("sub_id", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("duration_ms", Integer, nullable=False),
    PrimaryKeyConstraint("lg_code", "sub_id", "seq", "attempt"),
)

inbox = Table(
    "linkage_inbox",
    metadata,
    _lg(),  # the addressee
    Column("item_id", Integer, nullable=False),
    Column("kind", String(30), nullable=False),  # tenshutsu-shomeisho | tennyu-tsuchi
    Column("from_lg_code", String(6), nullable=False),
    Column("ref", String(60), nullable=False),  # the sender's reference (異動番号, inbox item)
    Column("state", String(12), nullable=False),  # received | completed | notified | applied
    Column("payload", JSON, nullable=False),
    Column("result", JSON),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True)),
    Column("completed_by", String(200)),
    PrimaryKeyConstraint("lg_code", "item_id"),
    UniqueConstraint("lg_code", "kind", "from_lg_code", "ref", name="uq_linkage_inbox_ref"),
)

cursors = Table(
    "linkage_cursors",
    metadata,
    _lg(),
    Column("name", String(40), nullable=False),
    Column("value", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("lg_code", "name"),
)

file_settings = Table(
    "linkage_file_settings",
    metadata,
    _lg(),
    Column("every_minutes", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False),
    PrimaryKeyConstraint("lg_code"),
)

file_exports = Table(
    "linkage_file_exports",
    metadata,
    _lg(),
    Column("export_id", Integer, nullable=False),
    Column("kind", String(10), nullable=False),  # diff | full
    Column("from_seq", BigInteger, nullable=False),  # exclusive
    Column("to_seq", BigInteger, nullable=False),  # inclusive
    Column("rows", Integer, nullable=False),
    Column("directory", Text, nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("lg_code", "export_id"),
)

READ_WRITE_TABLES = (
    "linkage_subscriptions",
    "linkage_deliveries",
    "linkage_inbox",
    "linkage_cursors",
    "linkage_file_settings",
)
APPEND_ONLY_TABLES = ("linkage_attempts", "linkage_file_exports")
