"""The citizen's *modifier* and *annuler* links: signed tokens that name a booking.

A token is `itsdangerous.URLSafeSerializer` output: the JSON `[booking id, sequence]` in
URL-safe base64, then an HMAC-SHA256 of it keyed by the application's secret key. The
purpose ("modify" or "cancel") is the serializer's salt, so it changes the key: a modify
token does not verify as a cancel token. Tokens carry no personal data and no expiry of
their own; the database decides whether the booking they name can still be changed (not
cancelled, not begun, and the link is the latest one sent: see `link_state`).
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from itsdangerous import BadSignature, URLSafeSerializer

Purpose = Literal["modify", "cancel"]
PURPOSES: tuple[Purpose, ...] = ("modify", "cancel")

MODIFY_PREFIX = "/rendez-vous/modifier/"
CANCEL_PREFIX = "/rendez-vous/annuler/"

# A real token is about 60 characters; anything far longer is refused before any work.
MAX_TOKEN_LENGTH = 200


class LinkedBooking(Protocol):
    id: int
    sequence: int
    status: str
    start: datetime


@dataclass(frozen=True)
class LinkClaim:
    """What a verified token says: this booking, at this sequence, for this purpose."""

    booking_id: int
    sequence: int
    purpose: Purpose


class LinkState(enum.Enum):
    USABLE = "usable"
    UNKNOWN = "unknown"  # no such booking (deleted, or another database)
    CANCELLED = "cancelled"  # already cancelled: a second click, or an old link
    PAST = "past"  # the appointment has begun or is over
    SUPERSEDED = "superseded"  # the booking changed since this link was sent


def _serializer(secret_key: str, purpose: Purpose) -> URLSafeSerializer:
    return URLSafeSerializer(
        secret_key,
        salt=f"creneau.booking-link.{purpose}",
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def make_token(secret_key: str, booking: LinkedBooking, purpose: Purpose) -> str:
    return str(_serializer(secret_key, purpose).dumps([booking.id, booking.sequence]))


def modify_path(secret_key: str, booking: LinkedBooking) -> str:
    return MODIFY_PREFIX + make_token(secret_key, booking, "modify")


def cancel_path(secret_key: str, booking: LinkedBooking) -> str:
    return CANCEL_PREFIX + make_token(secret_key, booking, "cancel")


def read_token(secret_key: str, token: str, purpose: Purpose) -> LinkClaim | None:
    """The claim of a genuine token for `purpose`; None for anything forged, tampered with,
    truncated or made for the other purpose."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        payload = _serializer(secret_key, purpose).loads(token)
    except BadSignature:
        return None
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or not all(type(value) is int and value >= 0 for value in payload)
    ):
        return None
    return LinkClaim(booking_id=payload[0], sequence=payload[1], purpose=purpose)


def link_state(claim: LinkClaim, booking: LinkedBooking | None, now: datetime) -> LinkState:
    """Whether the booking a genuine token names can still be changed through it. The
    checks run in the order a citizen understands best: "already cancelled" before "past",
    and both before "a newer email replaced this link"."""
    if booking is None or booking.id != claim.booking_id:
        return LinkState.UNKNOWN
    if booking.status == "cancelled":
        return LinkState.CANCELLED
    if booking.start <= now:
        return LinkState.PAST
    if booking.sequence != claim.sequence:
        return LinkState.SUPERSEDED
    return LinkState.USABLE
