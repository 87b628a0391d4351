"""抑止 / 支援措置 tables. ``lg_code`` leads every primary key (Citus-ready).

- ``protection_suppressions``: one row per 抑止 as set; never changed (append-only).
- ``protection_events``: every set / 解除 / 一時解除 / 支援措置 step / review, append-only. A suppression is
  released when a ``suppression.release`` event names it; a ``suppression.temp_release`` event carries
  its own ``expires_at`` and simply stops counting when that time passes (nothing has to revert it).
- ``protection_support_revisions``: one full snapshot of a 支援措置 per change (append-only), keyed
  (lg_code, support_id, revision); the latest revision is the current state.
- ``protection_support_subjects``: 宛名番号 of the 支援対象者 of each measure (append-only), for lookups.
- ``protection_disclosure_requests``: a clerk's request that the 支援措置責任者 review one disclosure
  (a certificate or an address display) involving a 支援対象者; its status moves
  pending → released → used (or rejected), each step also written to ``protection_events``.
- ``protection_counters``: per-tenant numbers.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from lgcloud.db.base import Base

metadata = Base.metadata


def _lg() -> Column[str]:
    return Column("lg_code", String(6), nullable=False)


counters = Table(
    "protection_counters",
    metadata,
    _lg(),
    Column("name", String(20), nullable=False),
    Column("value", BigInteger, nullable=False),
    PrimaryKeyConstraint("lg_code", "name"),
)

suppressions = Table(
    "protection_suppressions",
    metadata,
    _lg(),
    Column("suppression_id", BigInteger, nullable=False),
    Column("scope", String(4), nullable=False),
    Column("target", String(20), nullable=False),
    Column("process", String(10), nullable=False),
    Column("level", String(10), nullable=False),
    Column("start_on", Date, nullable=False),
    Column("end_on", Date),
    Column("reason", Text, nullable=False),
    Column("support_id", BigInteger),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("lg_code", "suppression_id"),
    Index("ix_protection_suppressions_target", "lg_code", "target"),
)

events = Table(
    "protection_events",
    metadata,
    _lg(),
    Column("event_id", BigInteger, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("suppression_id", BigInteger),
    Column("support_id", BigInteger),
    Column("request_id", BigInteger),
    Column("actor", String(200), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("reason", Text),
    Column("detail", JSON),
    PrimaryKeyConstraint("lg_code", "event_id"),
    Index("ix_protection_events_suppression", "lg_code", "suppression_id"),
)

support_revisions = Table(
    "protection_support_revisions",
    metadata,
    _lg(),
    Column("support_id", BigInteger, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("status", String(10), nullable=False),
    Column("start_on", Date),
    Column("end_on", Date),
    Column("data", JSON, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("lg_code", "support_id", "revision"),
)

support_subjects = Table(
    "protection_support_subjects",
    metadata,
    _lg(),
    Column("support_id", BigInteger, nullable=False),
    Column("atena_no", String(20), nullable=False),
    Column("role", String(20), nullable=False),
    PrimaryKeyConstraint("lg_code", "support_id", "atena_no"),
    Index("ix_protection_support_subjects_atena", "lg_code", "atena_no"),
)

disclosure_requests = Table(
    "protection_disclosure_requests",
    metadata,
    _lg(),
    Column("request_id", BigInteger, nullable=False),
    Column("process", String(10), nullable=False),
    Column("persons", JSON, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("status", String(10), nullable=False),
    Column("reviewed_by", String(200)),
    Column("reviewed_at", DateTime(timezone=True)),
    Column("review_reason", Text),
    Column("expires_at", DateTime(timezone=True)),
    Column("used_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("lg_code", "request_id"),
)

READ_WRITE_TABLES = ("protection_counters", "protection_disclosure_requests")
APPEND_ONLY_TABLES = (
    "protection_suppressions",
    "protection_events",
    "protection_support_revisions",
    "protection_support_subjects",
)
