"""The outbox channel "push": one message per subscription and event, composed when the
booking changes, encrypted and signed when delivered.

A subscription the push service no longer knows (404, 410) is deleted and the message
counts as done: there is nobody left to tell. Other 4xx answers will never succeed
(`PermanentFailure`); 429, 5xx and network errors are retried by the outbox.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import Clock
from app.db.models import Booking, PushSubscription
from app.db.session import Database
from app.notifications.facts import BookingFacts
from app.outbox.channels import Deliver, PermanentFailure
from app.outbox.store import Delivery, Outgoing, enqueue_all
from app.push import vapid
from app.push.encryption import encrypt_payload
from app.push.messages import push_text
from app.push.subscriptions import forget, subscriptions_of
from app.settings import Settings

log = logging.getLogger(__name__)

CHANNEL = "push"
# How long the push service may keep a message for a browser that is offline.
TIME_TO_LIVE_SECONDS = 24 * 3600
REQUEST_TIMEOUT_SECONDS = 15.0
GONE = {404, 410}


async def push_messages(
    session: AsyncSession, booking: Booking, kind: str, key: str, facts: BookingFacts
) -> list[Outgoing]:
    """One message per browser subscribed to this booking (none if nobody opted in)."""
    text = push_text(kind, facts)
    body = {"title": text.title, "body": text.body, "url": text.url, "tag": facts.reference}
    return [
        Outgoing(
            channel=CHANNEL,
            kind=kind,
            dedupe_key=f"{kind}:{key}:push:{subscription.id}",
            payload={"subscription_id": subscription.id, "notification": body},
        )
        for subscription in await subscriptions_of(session, booking.id)
    ]


async def enqueue_push(
    session: AsyncSession,
    booking: Booking,
    now: datetime,
    kind: str,
    key: str,
    facts: BookingFacts,
) -> None:
    """Enqueues `push_messages` in the caller's transaction."""
    messages = await push_messages(session, booking, kind, key, facts)
    await enqueue_all(session, messages, now, booking.id)


def push_channel(db: Database, settings: Settings, clock: Clock) -> Deliver:
    keys: list[vapid.VapidKeys] = []  # loaded on first use, then kept

    async def deliver(message: Delivery) -> None:
        async with db.read() as session:
            subscription = await session.get(PushSubscription, message.payload["subscription_id"])
            if subscription is None:
                return  # forgotten since (expired, or the booking's data erased)
            endpoint, p256dh, auth = subscription.endpoint, subscription.p256dh, subscription.auth
        if not keys:
            keys.append(await vapid.load_or_create_keys(db, settings.vapid_private_key, clock()))
        body = encrypt_payload(
            json.dumps(message.payload["notification"], ensure_ascii=False).encode(), p256dh, auth
        )
        headers = {
            "Authorization": vapid.authorization(keys[0], endpoint, settings.push_subject),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(TIME_TO_LIVE_SECONDS),
            "Urgency": "normal",
        }
        async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS) as client:
            response = await client.post(endpoint, content=body, headers=headers)
        if response.status_code in GONE:
            async with db.write() as session:
                await forget(session, message.payload["subscription_id"])
            log.info("push subscription %s expired, deleted", message.payload["subscription_id"])
            return
        if response.status_code == 429 or response.status_code >= 500:
            raise RuntimeError(f"service de notification indisponible ({response.status_code})")
        if response.status_code >= 400:
            raise PermanentFailure(f"notification refusée ({response.status_code})")

    return deliver
