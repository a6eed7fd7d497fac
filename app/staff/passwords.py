"""Password hashing with argon2id (argon2-cffi's recommended parameters: RFC 9106's
low-memory profile, 64 MiB and 3 passes)."""

from __future__ import annotations

import secrets

from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

MIN_LENGTH = 12
MAX_LENGTH = 256

PRODUCTION_PARAMETERS = RFC_9106_LOW_MEMORY

_hasher = PasswordHasher.from_parameters(PRODUCTION_PARAMETERS)
# Verified when the e-mail matches no account, so that an unknown address takes as long
# as a wrong password (no timing oracle on which accounts exist).
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def use_parameters(parameters: Parameters) -> None:
    """Hash with other parameters from now on, in this process. The test suite uses
    argon2's cheapest profile (a production hash takes a third of a second); nothing
    else calls this."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher.from_parameters(parameters)
    _DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def unusable_hash() -> str:
    """The hash of a random secret nobody knows: an account waiting for its first password."""
    return _hasher.hash(secrets.token_urlsafe(32))


def verify(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; runs a full verification even without a hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str, confirmation: str | None = None) -> str | None:
    """The French reason a new password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères."
    if len(password) > MAX_LENGTH:
        return f"Le mot de passe doit compter au plus {MAX_LENGTH} caractères."
    if not password.strip():
        return "Le mot de passe ne peut pas être fait que d'espaces."
    if confirmation is not None and password != confirmation:
        return "Les deux mots de passe saisis ne sont pas identiques."
    return None
