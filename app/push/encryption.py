"""The payload of a push message, encrypted for one browser (RFC 8291, `aes128gcm`) with
`http-ece` from web-push-libs."""

from __future__ import annotations

import base64
import os

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64url_encode(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode("ascii")


def encrypt_payload(
    plaintext: bytes,
    p256dh: str,
    auth: str,
    *,
    sender_key: ec.EllipticCurvePrivateKey | None = None,
    salt: bytes | None = None,
    record_size: int = 4096,
) -> bytes:
    """The request body for the browser whose subscription holds `p256dh` and `auth`
    (base64url). A fresh sender key and salt each time, unless given (known-answer tests)."""
    body: bytes = http_ece.encrypt(
        plaintext,
        salt=salt if salt is not None else os.urandom(16),
        private_key=sender_key or ec.generate_private_key(ec.SECP256R1()),
        dh=b64url_decode(p256dh),
        auth_secret=b64url_decode(auth),
        rs=record_size,
        version="aes128gcm",
    )
    return body
