"""Staff roles, from least to most powerful."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    AGENT = "agent"
    VIEWER = "viewer"


RANK = {Role.VIEWER: 0, Role.AGENT: 1, Role.ADMIN: 2}

LABELS = {
    Role.ADMIN: "Administrateur",
    Role.AGENT: "Agent",
    Role.VIEWER: "Consultation seule",
}


def at_least(role: str, minimum: str) -> bool:
    """Whether `role` may do what `minimum` may (unknown roles may do nothing)."""
    try:
        return RANK[Role(role)] >= RANK[Role(minimum)]
    except ValueError:
        return False


def label(role: str) -> str:
    try:
        return LABELS[Role(role)]
    except ValueError:
        return role
