"""Certificate tables. ``lg_code`` leads every primary and foreign key (Citus-ready).

- ``certificates_issues`` — 交付履歴, one row per issued copy (append-only): who, when, where (交付場所,
  端末, プリンタ), type, 記載事項, 枚数, 発行番号, the subjects, the options, the rendering input, the PDF and
  its SHA-256, the content hash and the verification code, the release used for a 支援対象者.
- ``certificates_issue_subjects`` — 宛名番号 printed on each copy (append-only), for 交付履歴 per person.
- ``certificates_disposals`` — 処分 of a spoiled or wrongly issued copy (append-only).
- ``certificates_counters`` — 連番 per day.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from lgcloud.db.base import Base

metadata = Base.metadata

counters = Table(
    "certificates_counters",
    metadata,
    Column("lg_code", String(6), nullable=False),
    Column("name", String(20), nullable=False),
    Column("value", BigInteger, nullable=False),
    PrimaryKeyConstraint("lg_code", "name"),
)

issues = Table(
    "certificates_issues",
    metadata,
    Column("lg_code", String(6), nullable=False),
    Column("issue_id", BigInteger, nullable=False),
    Column("issue_no", String(200), nullable=False),  # 発行番号 without the page part
    Column("serial", Integer, nullable=False),  # 連番 of the day
    Column("cert_type", String(20), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("issued_by", String(200), nullable=False),  # ユーザID
    Column("place", Text, nullable=False),  # 交付場所
    Column("terminal", String(40), nullable=False),  # 端末名
    Column("printer", String(40), nullable=False),
    Column("subjects", JSON, nullable=False),  # 交付対象者 (宛名番号)
    Column("items", JSON, nullable=False),  # 記載事項
    Column("pages", Integer, nullable=False),  # 枚数
    Column("options", JSON, nullable=False),
    Column("inputs", JSON, nullable=False),  # the composed document (rendering input)
    Column("content_hash", String(64), nullable=False),
    Column("pdf_sha256", String(64), nullable=False),
    Column("pdf", LargeBinary, nullable=False),
    Column("verification", String(80), nullable=False),
    Column("mynumber_printed", Integer, nullable=False),
    Column("release_id", BigInteger),
    Column("reissue_of", BigInteger),
    PrimaryKeyConstraint("lg_code", "issue_id"),
    Index("ix_certificates_issues_day", "lg_code", "issued_on"),
)

issue_subjects = Table(
    "certificates_issue_subjects",
    metadata,
    Column("lg_code", String(6), nullable=False),
    Column("issue_id", BigInteger, nullable=False),
    Column("atena_no", String(20), nullable=False),
    PrimaryKeyConstraint("lg_code", "issue_id", "atena_no"),
    ForeignKeyConstraint(["lg_code", "issue_id"], ["certificates_issues.lg_code", "certificates_issues.issue_id"]),
    Index("ix_certificates_issue_subjects_atena", "lg_code", "atena_no"),
)

disposals = Table(
    "certificates_disposals",
    metadata,
    Column("lg_code", String(6), nullable=False),
    Column("issue_id", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("disposed_by", String(200), nullable=False),
    Column("disposed_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("lg_code", "issue_id"),
    ForeignKeyConstraint(["lg_code", "issue_id"], ["certificates_issues.lg_code", "certificates_issues.issue_id"]),
)

READ_WRITE_TABLES = ("certificates_counters",)
APPEND_ONLY_TABLES = ("certificates_issues", "certificates_issue_subjects", "certificates_disposals")
