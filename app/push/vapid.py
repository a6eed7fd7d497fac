"""The installation's VAPID identity (RFC 8292): a P-256 key pair made once, on first
start, and kept in the database (or given by CRENEAU_VAPID_PRIVATE_KEY), and the signed
token each push request carries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.clock import machine_seconds
from app.db.models import VapidKey
from app.db.session import Database
from app.push.encryption import b64url_decode, b64url_encode

# RFC 8292 allows 24 hours at most; push services refuse longer tokens.
TOKEN_LIFETIME_SECONDS = 12 * 3600
KEY_ROW_ID = 1


@dataclass(frozen=True)
class VapidKeys:
    private_pem: str = field(repr=False)
    public_key: str  # base64url uncompressed point: the page's applicationServerKey


def public_key_of(private: ec.EllipticCurvePrivateKey) -> str:
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url_encode(point)


def keys_from_private(private: ec.EllipticCurvePrivateKey) -> VapidKeys:
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return VapidKeys(pem, public_key_of(private))


def keys_from_setting(value: str) -> VapidKeys:
    """CRENEAU_VAPID_PRIVATE_KEY: a PEM private key, or the raw 32-byte scalar in base64url
    (what `vapid --gen` and most web-push tools print)."""
    value = value.strip()
    if value.startswith("-----BEGIN"):
        private = serialization.load_pem_private_key(value.encode(), password=None)
    else:
        private = ec.derive_private_key(int.from_bytes(b64url_decode(value), "big"), ec.SECP256R1())
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise ValueError("CRENEAU_VAPID_PRIVATE_KEY n'est pas une clé EC P-256.")
    return keys_from_private(private)


async def load_or_create_keys(db: Database, configured: str, now: datetime) -> VapidKeys:
    """The configured key, else the stored one, else a new one stored now. Several
    processes starting at once agree: the first insert wins, the others read it."""
    if configured:
        return keys_from_setting(configured)
    async with db.read() as session:
        row = await session.get(VapidKey, KEY_ROW_ID)
        if row is not None:
            return VapidKeys(row.private_pem, row.public_key)
    fresh = keys_from_private(ec.generate_private_key(ec.SECP256R1()))
    try:
        async with db.write() as session:
            session.add(
                VapidKey(
                    id=KEY_ROW_ID,
                    private_pem=fresh.private_pem,
                    public_key=fresh.public_key,
                    created_at=now,
                )
            )
        return fresh
    except IntegrityError:
        async with db.read() as session:
            row = (await session.execute(select(VapidKey))).scalar_one()
            return VapidKeys(row.private_pem, row.public_key)


def authorization(keys: VapidKeys, endpoint: str, subject: str, now: float | None = None) -> str:
    """The `Authorization: vapid t=…, k=…` header for a request to `endpoint`: a JWT
    (ES256) naming the push service's origin (`aud`), an expiry within 24 hours (`exp`)
    and who to contact (`sub`)."""
    parts = urlsplit(endpoint)
    claims = {
        "aud": f"{parts.scheme}://{parts.netloc}",
        "exp": int((now if now is not None else machine_seconds()) + TOKEN_LIFETIME_SECONDS),
        "sub": subject,
    }
    signer = Vapid02.from_pem(keys.private_pem.encode("ascii"))
    header: str = signer.sign(claims)["Authorization"]
    return header
