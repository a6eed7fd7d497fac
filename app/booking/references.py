"""Booking references and calendar UIDs."""

from __future__ import annotations

import secrets

# Crockford's alphabet: no I, L, O, U, so a reference read over the phone is unambiguous.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """A short, unguessable reference such as "RDV-7K3M-Q9P2"."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"RDV-{chars[:4]}-{chars[4:]}"


def new_uid(domain: str) -> str:
    """The iCalendar UID the booking keeps for its whole life."""
    return f"{secrets.token_hex(16)}@{domain}"
