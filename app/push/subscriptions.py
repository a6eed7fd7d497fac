"""The browsers that asked to be notified about a booking (one row per booking and
endpoint), as the page's PushSubscription.toJSON() describes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import PushSubscription
from app.push.encryption import b64url_decode

MAX_ENDPOINT = 1000


@dataclass(frozen=True)
class SubscriptionData:
    endpoint: str
    p256dh: str
    auth: str


def parse_subscription(raw: Any) -> SubscriptionData | None:
    """`{"endpoint": "https://…", "keys": {"p256dh": …, "auth": …}}`, checked: an http(s)
    endpoint, a 65-byte uncompressed P-256 point, a 16-byte auth secret. None otherwise."""
    if not isinstance(raw, dict) or not isinstance(raw.get("keys"), dict):
        return None
    endpoint, keys = raw.get("endpoint"), raw["keys"]
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not (isinstance(endpoint, str) and isinstance(p256dh, str) and isinstance(auth, str)):
        return None
    parts = urlsplit(endpoint)
    if parts.scheme not in {"https", "http"} or not parts.netloc or len(endpoint) > MAX_ENDPOINT:
        return None
    try:
        point, secret = b64url_decode(p256dh), b64url_decode(auth)
    except ValueError:
        return None
    if len(point) != 65 or point[0] != 4 or len(secret) != 16:
        return None
    return SubscriptionData(endpoint, p256dh, auth)


async def subscribe(
    session: AsyncSession, booking_id: int, data: SubscriptionData, now: datetime
) -> None:
    """Stores the subscription for this booking only (the same browser subscribing again
    replaces its keys)."""
    existing = (
        await session.execute(
            select(PushSubscription).where(
                PushSubscription.booking_id == booking_id,
                PushSubscription.endpoint == data.endpoint,
            )
        )
    ).scalar()
    if existing is None:
        session.add(
            PushSubscription(
                booking_id=booking_id,
                endpoint=data.endpoint,
                p256dh=data.p256dh,
                auth=data.auth,
                created_at=now,
            )
        )
    else:
        existing.p256dh, existing.auth = data.p256dh, data.auth


async def subscriptions_of(session: AsyncSession, booking_id: int) -> list[PushSubscription]:
    return list(
        (
            await session.execute(
                select(PushSubscription)
                .where(PushSubscription.booking_id == booking_id)
                .order_by(PushSubscription.id)
            )
        ).scalars()
    )


async def forget(session: AsyncSession, subscription_id: int) -> None:
    """The push service said the subscription is gone (404/410)."""
    await session.execute(delete(PushSubscription).where(PushSubscription.id == subscription_id))
