"""Calendar passwords at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key derived
from the application's secret key by HKDF, so that a database copy alone reveals no
password. Changing `CRENEAU_SECRET_KEY` makes the stored passwords unreadable: they must
then be entered again (`creneau calendar-add`)."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"creneau calendar credentials v1"


class CredentialsUnreadable(Exception):
    """The stored password was encrypted with another secret key."""


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_password(secret_key: str, password: str) -> str:
    return _fernet(secret_key).encrypt(password.encode()).decode("ascii")


def decrypt_password(secret_key: str, stored: str) -> str:
    try:
        return _fernet(secret_key).decrypt(stored.encode("ascii")).decode()
    except InvalidToken as error:
        raise CredentialsUnreadable from error
