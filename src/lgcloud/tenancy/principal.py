"""Who is asking: a signed-in user or a linked system's API token."""

from __future__ import annotations

from dataclasses import dataclass, field

from lgcloud.tenancy.models import PLATFORM_CHAIN
from lgcloud.tenancy.permissions import Permission, Role, permissions_of


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" | "token"
    name: str  # username or "token:<id>"
    role: Role | None
    lg_code: str | None  # the municipality the principal belongs to (None for operators)
    group_id: int | None = None
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    user_id: int | None = None
    display_name: str = ""

    @classmethod
    def for_user(
        cls,
        *,
        user_id: int,
        username: str,
        display_name: str,
        role: str,
        lg_code: str | None,
        group_id: int | None,
    ) -> Principal:
        return cls(
            kind="user",
            name=username,
            role=Role(role),
            lg_code=lg_code,
            group_id=group_id,
            permissions=permissions_of(role),
            user_id=user_id,
            display_name=display_name,
        )

    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR

    @property
    def audit_chain(self) -> str:
        """The chain this principal's own security events go to."""
        return self.lg_code or PLATFORM_CHAIN

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def may_act_for(self, lg_code: str, permission: Permission) -> bool:
        """Municipal data: only the municipality's own staff or tokens, holding the permission."""
        return self.lg_code == lg_code and self.can(permission)
