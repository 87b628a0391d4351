"""Per-municipality 外字 mapping: vendor source code → MJ, versioned, append-only.

One row per *version* of one source character's mapping. A change (a new proposal, a confirmation,
a rejection, a correction) is a new row with ``version + 1``; rows are never updated or deleted, so
the full who/when/why history stays (the table is granted append-only on PostgreSQL).
The current mapping of a source character is its highest version.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lgcloud.db.base import Base, utcnow


class MappingStatus(StrEnum):
    PROPOSED = "proposed"  # 提案 (imported or suggested, not yet reviewed)
    CONFIRMED = "confirmed"  # 確定 (used by migrations)
    REJECTED = "rejected"  # 却下


class GaijiMapping(Base):
    __tablename__ = "moji_gaiji_mappings"

    lg_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    #: The vendor / system the 外字 come from, e.g. "旧住記(A社)"; one mapping table per system.
    source_system: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: pua / cp932 / jplus (see lgcloud.moji.gaiji.SourceKind)
    source_kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    #: Canonical source code: "U+E000", "F040", "J+AD1D".
    source_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    mj_code: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # why
    actor: Mapped[str] = mapped_column(String(200))  # who
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)  # when
