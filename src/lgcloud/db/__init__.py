"""Database access: one declarative base, a tenant-aware session, migration helpers.

Every tenant-owned table carries ``lg_code`` (the 6-digit 全国地方公共団体コード) first in its primary
key and in every foreign key to tenant data (ARCHITECTURE.md rule 1). On PostgreSQL each transaction
also sets ``lgcloud.lg_code`` so that row-level security enforces the same filter a second time.
"""

from lgcloud.db.base import Base, TenantMixin, as_utc, utcnow
from lgcloud.db.session import Database, get_database, reset_database, tenant_of, use_tenant

__all__ = [
    "Base",
    "Database",
    "TenantMixin",
    "as_utc",
    "get_database",
    "reset_database",
    "tenant_of",
    "use_tenant",
    "utcnow",
]
