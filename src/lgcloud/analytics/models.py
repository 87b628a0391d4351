"""Analytics tables: survey status history, IT costs, population tables, usage measures.

These are platform-level facts about municipalities (from surveys and official tables), not any
municipality's own data and never residents' personal data. They are therefore not tenant tables:
the subject is ``municipality_code`` (the 6-digit 全国地方公共団体コード), deliberately *not* named
``lg_code``, which in lgcloud marks a tenant key under row-level security.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lgcloud.db.base import Base, utcnow


class StatusSnapshot(Base):
    """One reference date (基準日) of the cloud-status survey. Rows of different dates never mix."""

    __tablename__ = "analytics_status_snapshots"

    ref_date: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(500), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StatusRow(Base):
    """A municipality's survey answer at one reference date: status, plan, target FY, cloud group."""

    __tablename__ = "analytics_status_rows"

    ref_date: Mapped[date] = mapped_column(ForeignKey("analytics_status_snapshots.ref_date"), primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    plan: Mapped[str | None] = mapped_column(String(20), nullable=True)
    target_fy: Mapped[int | None] = mapped_column(Integer, nullable=True)
    group_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    source_file: Mapped[str] = mapped_column(String(300), default="")
    imported_by: Mapped[str] = mapped_column(String(100), default="system")
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Cost(Base):
    """情報システム経費 of a municipality for a fiscal year, in whole yen."""

    __tablename__ = "analytics_costs"

    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    amount_yen: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(500), default="")
    recorded_by: Mapped[str] = mapped_column(String(100), default="system")
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PopulationTable(Base):
    """A population table a user loaded (e.g. 住民基本台帳人口), labelled with what it counts."""

    __tablename__ = "analytics_population_tables"

    table_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    label: Mapped[str] = mapped_column(String(200), unique=True)
    as_of: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PopulationValue(Base):
    __tablename__ = "analytics_population_values"

    table_id: Mapped[int] = mapped_column(ForeignKey("analytics_population_tables.table_id"), primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    population: Mapped[int] = mapped_column(BigInteger)


class Usage(Base):
    """A usage measure of a member for 利用量割 (records held, transactions …) over a period."""

    __tablename__ = "analytics_usage"

    period: Mapped[str] = mapped_column(String(20), primary_key=True)  # "2025" (FY) or "2025-04"
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


TABLES = (
    "analytics_status_snapshots",
    "analytics_status_rows",
    "analytics_costs",
    "analytics_population_tables",
    "analytics_population_values",
    "analytics_usage",
)
