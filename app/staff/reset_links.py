"""Password links: « réinitialiser » (forgotten password, 1 hour) and « choisir son mot de
passe » (a new account, 3 days).

A link is [account id, fingerprint of the current password hash] signed with the secret
key (itsdangerous, timestamped). Using it changes the hash, so the fingerprint no longer
matches: each link works once, and any older link dies with it. Nothing is stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import StaffUser
from app.staff.accounts import by_id

RESET = "reset"
WELCOME = "welcome"
LIFETIMES = {RESET: timedelta(hours=1), WELCOME: timedelta(days=3)}
PATH = "/admin/reinitialiser/"


def _serializer(secret_key: str, now: datetime) -> URLSafeTimedSerializer:
    """Signs and checks with the application's clock (not the machine's)."""

    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(now.timestamp())

    return URLSafeTimedSerializer(secret_key, salt="creneau-staff-password-link", signer=Signer)


def fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:24]


def make_token(secret_key: str, staff: StaffUser, now: datetime, purpose: str = RESET) -> str:
    return _serializer(secret_key, now).dumps([staff.id, fingerprint(staff.password_hash), purpose])


def link_path(secret_key: str, staff: StaffUser, now: datetime, purpose: str = RESET) -> str:
    return PATH + make_token(secret_key, staff, now, purpose)


@dataclass(frozen=True)
class LinkCheck:
    staff: StaffUser | None
    problem: str | None  # French, for the page
    purpose: str = RESET


EXPIRED = "Ce lien a expiré. Demandez un nouveau lien depuis la page « Mot de passe oublié »."
INVALID = (
    "Ce lien n'est pas valable ou a déjà servi. Demandez un nouveau lien depuis la page "
    "« Mot de passe oublié »."
)


async def check_token(
    session: AsyncSession, secret_key: str, token: str, now: datetime
) -> LinkCheck:
    serializer = _serializer(secret_key, now)
    try:
        staff_id, print_, purpose = serializer.loads(token)
    except SignatureExpired:
        return LinkCheck(None, EXPIRED)
    except (BadSignature, ValueError, TypeError):
        return LinkCheck(None, INVALID)
    if purpose not in LIFETIMES or not isinstance(staff_id, int):
        return LinkCheck(None, INVALID)
    try:
        serializer.loads(token, max_age=int(LIFETIMES[purpose].total_seconds()))
    except SignatureExpired:
        return LinkCheck(None, EXPIRED)
    staff = await by_id(session, staff_id)
    if staff is None or not staff.active or fingerprint(staff.password_hash) != print_:
        return LinkCheck(None, INVALID)
    return LinkCheck(staff, None, purpose)
