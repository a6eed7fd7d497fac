"""The citizen's *modifier* and *annuler* links: opaque tokens that name a booking.

A token is the booking's id and sequence (12 bytes) encrypted with AES-SIV (RFC 5297) under
a key derived from the application's secret key, in URL-safe base64 without padding: 38
characters that say nothing to whoever reads them (not how many bookings exist, nor how
often this one changed), and that nobody without the key can forge or alter. The purpose
("modify" or "cancel") is authenticated with it, so a modify token does not open the cancel
page. AES-SIV is deterministic: the same booking at the same sequence always gets the same
link, which the installable app relies on (decision 91).

Links sent before that change are `itsdangerous` tokens (the JSON `[id, sequence]` in base64,
then its HMAC-SHA256): they are still read, so no e-mail already sent stops working.

Tokens carry no personal data and no expiry of their own; the database decides whether the
booking they name can still be changed (not cancelled, not begun, and the link is the latest
one sent: see `link_state`).
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import hashlib
import struct
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from itsdangerous import BadSignature, URLSafeSerializer

Purpose = Literal["modify", "cancel"]
PURPOSES: tuple[Purpose, ...] = ("modify", "cancel")

MODIFY_PREFIX = "/rendez-vous/modifier/"
CANCEL_PREFIX = "/rendez-vous/annuler/"

# A token is 38 characters (a link sent before decision 91, about 60); anything far
# longer is refused before any work.
MAX_TOKEN_LENGTH = 200
_PLAIN = struct.Struct(">QI")  # booking id, sequence
_TOKEN_LENGTH = 38  # base64 of 16 bytes of synthetic IV + the 12 bytes above, unpadded
_MAX_ID = 2**63 - 1


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


@functools.lru_cache(maxsize=8)
def _cipher(secret_key: str) -> AESSIV:
    key = HKDF(
        algorithm=hashes.SHA256(), length=64, salt=None, info=b"creneau booking links v2"
    ).derive(secret_key.encode())
    return AESSIV(key)


def _legacy_serializer(secret_key: str, purpose: Purpose) -> URLSafeSerializer:
    """The signed, readable tokens of the links sent before decision 91."""
    return URLSafeSerializer(
        secret_key,
        salt=f"creneau.booking-link.{purpose}",
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def token_for(secret_key: str, booking_id: int, sequence: int, purpose: Purpose) -> str:
    sealed = _cipher(secret_key).encrypt(_PLAIN.pack(booking_id, sequence), [purpose.encode()])
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")


def make_token(secret_key: str, booking: LinkedBooking, purpose: Purpose) -> str:
    return token_for(secret_key, booking.id, booking.sequence, purpose)


def modify_path(secret_key: str, booking: LinkedBooking) -> str:
    return MODIFY_PREFIX + make_token(secret_key, booking, "modify")


def cancel_path(secret_key: str, booking: LinkedBooking) -> str:
    return CANCEL_PREFIX + make_token(secret_key, booking, "cancel")


def read_token(secret_key: str, token: str, purpose: Purpose) -> LinkClaim | None:
    """The claim of a genuine token for `purpose`; None for anything forged, tampered with,
    truncated or made for the other purpose."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    if len(token) == _TOKEN_LENGTH and "." not in token:
        return _read_sealed(secret_key, token, purpose)
    try:
        payload = _legacy_serializer(secret_key, purpose).loads(token)
    except BadSignature:
        return None
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or not all(type(value) is int and value >= 0 for value in payload)
    ):
        return None
    return LinkClaim(booking_id=payload[0], sequence=payload[1], purpose=purpose)


def _read_sealed(secret_key: str, token: str, purpose: Purpose) -> LinkClaim | None:
    try:
        sealed = base64.urlsafe_b64decode(token + "==")
        plain = _cipher(secret_key).decrypt(sealed, [purpose.encode()])
    except (binascii.Error, ValueError, InvalidTag):
        return None
    if len(plain) != _PLAIN.size:
        return None
    booking_id, sequence = _PLAIN.unpack(plain)
    if booking_id > _MAX_ID:
        return None
    return LinkClaim(booking_id=booking_id, sequence=sequence, purpose=purpose)


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
