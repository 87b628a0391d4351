"""Tenancy tables: cloud groups, municipalities, memberships, users, sessions, tokens, audit log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lgcloud.db.base import Base, utcnow

#: The audit chain of platform-level events (operator actions, logins of unknown users). It is
#: not a municipality code: real codes never start with "00".
PLATFORM_CHAIN = "000000"


class CloudGroup(Base):
    """クラウドグループ: municipalities sharing one deployment. 単独クラウド = one member."""

    __tablename__ = "tenancy_cloud_groups"

    group_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Municipality(Base):
    """A municipality using lgcloud: the tenant. Its key is the 6-digit 全国地方公共団体コード."""

    __tablename__ = "tenancy_municipalities"

    lg_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_kana: Mapped[str] = mapped_column(String(200))
    prefecture: Mapped[str] = mapped_column(String(10))
    #: Go-live status inside the platform: 移行準備 → 移行中 → 稼働中 (see tenancy.services).
    status: Mapped[str] = mapped_column(String(20), default="onboarding")
    #: 宛名番号/世帯番号 check digit when mod 11 leaves remainder 1: "zero" or "skip".
    atena_remainder_one: Mapped[str] = mapped_column(String(8), default="skip")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GroupMembership(Base):
    """Dated membership: joining and leaving are records, never overwrites."""

    __tablename__ = "tenancy_group_memberships"

    membership_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("tenancy_cloud_groups.group_id"))
    lg_code: Mapped[str] = mapped_column(ForeignKey("tenancy_municipalities.lg_code"))
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(Base):
    """A person who signs in. Municipal staff belong to one municipality; operators to a group."""

    __tablename__ = "tenancy_users"

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    lg_code: Mapped[str | None] = mapped_column(ForeignKey("tenancy_municipalities.lg_code"), nullable=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("tenancy_cloud_groups.group_id"), nullable=True)
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebSession(Base):
    """Server-side login session; the cookie holds a random token, the table its SHA-256."""

    __tablename__ = "tenancy_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("tenancy_users.user_id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class ApiToken(Base):
    """Bearer token for a linked system: one municipality, named scopes, hashed, expiring."""

    __tablename__ = "tenancy_api_tokens"

    lg_code: Mapped[str] = mapped_column(ForeignKey("tenancy_municipalities.lg_code"), primary_key=True)
    token_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditHead(Base):
    """The tip of one tenant's audit chain; locked while an entry is appended."""

    __tablename__ = "tenancy_audit_heads"

    lg_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    """One append-only, hash-chained audit record. ``entry_hash`` covers every other column."""

    __tablename__ = "tenancy_audit_log"
    __table_args__ = (UniqueConstraint("lg_code", "entry_hash"),)

    lg_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[str] = mapped_column(String(32))  # ISO-8601 UTC, hashed exactly as stored
    actor: Mapped[str] = mapped_column(String(200))
    source_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str | None] = mapped_column(String(200), nullable=True)
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


__all__ = [
    "PLATFORM_CHAIN",
    "ApiToken",
    "AuditEntry",
    "AuditHead",
    "CloudGroup",
    "GroupMembership",
    "Municipality",
    "User",
    "WebSession",
]
