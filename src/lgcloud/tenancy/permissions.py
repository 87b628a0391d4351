"""Roles and what they may do. One table, read by services, the API and the UI alike."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"  # cloud-group operator: never sees residents' personal data
    ADMIN = "admin"  # a municipality's users and settings
    CLERK = "clerk"  # 窓口職員
    SUPERVISOR = "supervisor"  # 支援措置責任者
    AUDITOR = "auditor"  # reads the audit log


class Permission(StrEnum):
    RESIDENT_READ = "resident:read"
    RESIDENT_WRITE = "resident:write"
    MYNUMBER_READ = "mynumber:read"  # 個人番号: its own permission, masked by default
    CERTIFICATE_ISSUE = "certificate:issue"
    PROTECTION_SET = "protection:set"  # 抑止 / 支援措置 設定
    PROTECTION_RELEASE = "protection:release"  # 解除
    PROTECTION_TEMP_RELEASE = "protection:temp-release"  # 一時解除 / reviewed release
    MOJI_READ = "moji:read"
    MOJI_MANAGE = "moji:manage"  # 外字 mapping review
    MIGRATION_RUN = "migration:run"
    LINKAGE_MANAGE = "linkage:manage"  # subscriptions, dead letters, files
    USERS_MANAGE = "users:manage"
    SETTINGS_MANAGE = "settings:manage"
    AUDIT_READ = "audit:read"
    GROUP_OPERATE = "group:operate"  # municipalities, jobs, metrics, analytics of the group
    ANALYTICS_READ = "analytics:read"


#: Permissions that touch residents' personal data. The operator must never hold one of them
#: (tested), and every route guarded by one joins the tenant attack matrix.
PERSONAL_DATA = frozenset(
    {
        Permission.RESIDENT_READ,
        Permission.RESIDENT_WRITE,
        Permission.MYNUMBER_READ,
        Permission.CERTIFICATE_ISSUE,
        Permission.PROTECTION_SET,
        Permission.PROTECTION_RELEASE,
        Permission.PROTECTION_TEMP_RELEASE,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OPERATOR: frozenset(
        {Permission.GROUP_OPERATE, Permission.ANALYTICS_READ, Permission.MIGRATION_RUN, Permission.MOJI_READ}
    ),
    Role.ADMIN: frozenset(
        {
            Permission.USERS_MANAGE,
            Permission.SETTINGS_MANAGE,
            Permission.MOJI_READ,
            Permission.MOJI_MANAGE,
            Permission.MIGRATION_RUN,
            Permission.LINKAGE_MANAGE,
            Permission.RESIDENT_READ,
            Permission.ANALYTICS_READ,
        }
    ),
    Role.CLERK: frozenset(
        {
            Permission.RESIDENT_READ,
            Permission.RESIDENT_WRITE,
            Permission.CERTIFICATE_ISSUE,
            Permission.MOJI_READ,
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            Permission.RESIDENT_READ,
            Permission.RESIDENT_WRITE,
            Permission.CERTIFICATE_ISSUE,
            Permission.MYNUMBER_READ,
            Permission.PROTECTION_SET,
            Permission.PROTECTION_RELEASE,
            Permission.PROTECTION_TEMP_RELEASE,
            Permission.MOJI_READ,
        }
    ),
    Role.AUDITOR: frozenset({Permission.AUDIT_READ}),
}

#: Scopes an API token may carry (linked systems). A scope is a permission name.
TOKEN_SCOPES = frozenset(p.value for p in Permission if p is not Permission.GROUP_OPERATE)


def permissions_of(role: Role | str) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[Role(role)]
