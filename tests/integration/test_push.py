"""Web push end to end: a citizen opts in on the confirmation page, the outbox worker sends
through a local push service that checks the VAPID token and decrypts the payload with the
subscriber's own keys; staff changes notify, the citizen's own do not; a push service
answering 410 makes the subscription disappear."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

import pytest
from sqlalchemy import select

from app.db.models import Booking, PushSubscription, VapidKey
from app.db.session import Database
from app.notifications.events import booking_cancelled, booking_moved
from app.notifications.reminders import reminder_due, send_reminders
from app.outbox.worker import Worker
from app.push.channel import push_channel
from app.wiring import delivery_channels
from tests.days import TUESDAY, open_day, slot
from tests.integration.changes_helpers import cancel_link, post_choice
from tests.integration.flow import book
from tests.integration.helpers import PATHS, walk_to
from tests.integration.mail_helpers import only_booking, outbox, run
from tests.integration.push_service import PushService

CONFIRMATION = "/rendez-vous/confirmation"
SUBSCRIBE = "/rendez-vous/notifications"


@pytest.fixture
def settings(settings):
    return replace(settings, embedded_worker=False)


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.close()


def deliver(settings, now) -> int:
    async def go(db: Database) -> int:
        channels = {
            **delivery_channels(settings),
            "push": push_channel(db, settings, lambda: now),
        }
        return await Worker(db, channels, lambda: now).deliver_due()

    return asyncio.run(run(go)(settings.database_url))


def rows(settings, model) -> list:
    async def go(db: Database) -> list:
        async with db.read() as session:
            return list((await session.execute(select(model))).scalars())

    return asyncio.run(run(go)(settings.database_url))


def opt_in_page(citizen) -> tuple[str, str]:
    """The confirmation page's opt-in: the VAPID public key and the form's CSRF token."""
    page = citizen.get(CONFIRMATION).text
    key = re.search(r'id="notifications-form" data-cle="([^"]+)"', page)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page[page.index("notifications") :])
    assert key and token, page
    return key.group(1), token.group(1)


def subscribe(citizen, subscription, token):
    return citizen.client.post(
        SUBSCRIBE, json={"subscription": subscription}, headers={"X-CSRFToken": token}
    )


def test_opting_in_sends_the_confirmation_to_the_device(citizen, settings, clock, push_service):
    book(citizen)
    booking = only_booking(settings)
    key, token = opt_in_page(citizen)
    assert [row.public_key for row in rows(settings, VapidKey)] == [key]
    subscriber, subscription = push_service.new_subscription("telephone")

    answer = subscribe(citizen, subscription, token)
    assert answer.status_code == 201, answer.text
    assert "arriveront sur cet appareil" in answer.json()["message"]
    [stored] = rows(settings, PushSubscription)
    assert (stored.booking_id, stored.endpoint) == (booking.id, subscription["endpoint"])

    deliver(settings, clock.now)
    assert push_service.refused == []
    [push] = push_service.delivered
    assert push.notification["title"] == "Rendez-vous confirmé"
    assert booking.reference in push.notification["body"]
    assert "Dupont" not in push.notification["body"]
    assert push.notification["url"] == "/mes-rendez-vous"
    assert push.vapid_key == key
    assert push.claims["sub"] == "mailto:ne-pas-repondre@creneau.invalid"
    assert {row.channel: row.status for row in outbox(settings)}["push"] == "sent"

    # The same browser subscribing again is one subscription and no second notification.
    assert subscribe(citizen, subscription, token).status_code == 201
    deliver(settings, clock.now)
    assert len(rows(settings, PushSubscription)) == 1
    assert len(push_service.delivered) == 1


def test_a_subscription_is_checked_and_tied_to_the_confirmed_booking(citizen, settings, client):
    book(citizen)
    _, token = opt_in_page(citizen)
    bad = {"endpoint": "https://push.example/x", "keys": {"p256dh": "AAAA", "auth": "AAAA"}}
    assert subscribe(citizen, bad, token).status_code == 400
    assert subscribe(citizen, "n'importe quoi", token).status_code == 400
    assert client.post(SUBSCRIBE, json={"subscription": bad}).status_code == 403  # no CSRF
    client.cookies.delete("creneau_brouillon")
    assert subscribe(citizen, bad, token).status_code == 409  # no booking on this browser
    assert rows(settings, PushSubscription) == []


def test_staff_changes_notify_the_device_the_citizens_own_do_not(
    citizen, settings, clock, push_service
):
    book(citizen)
    _, token = opt_in_page(citizen)
    _, subscription = push_service.new_subscription("telephone")
    assert subscribe(citizen, subscription, token).status_code == 201
    deliver(settings, clock.now)
    assert len(push_service.delivered) == 1

    async def staff_move(db: Database) -> None:
        async with db.write() as session:
            booking = (await session.execute(select(Booking))).scalar_one()
            booking.sequence += 1
            await booking_moved(session, booking, clock.now, settings, by_staff=True)

    asyncio.run(run(staff_move)(settings.database_url))
    deliver(settings, clock.now)
    assert [p.notification["title"] for p in push_service.delivered][1:] == [
        "Rendez-vous déplacé par la mairie"
    ]

    # The citizen cancels through their own link: an e-mail, no push.
    booking = only_booking(settings)
    post_choice(citizen, cancel_link(settings, booking), "annuler")
    assert only_booking(settings).status == "cancelled"
    kinds = [(row.channel, row.kind) for row in outbox(settings)]
    assert ("email", "booking_cancelled") in kinds
    assert ("push", "booking_cancelled") not in kinds


def test_the_reminder_goes_to_the_device_and_a_410_forgets_the_subscription(
    citizen, settings, clock, push_service
):
    # Two days ahead or more: the reminder leaves the day before, after the booking was made.
    walk_to(citizen, 5)
    assert citizen.submit(PATHS[5], {"creneau": slot(open_day(TUESDAY), 10)}).url.path == PATHS[6]
    assert citizen.submit(PATHS[6], {}).url.path == PATHS[7]
    _, token = opt_in_page(citizen)
    _, subscription = push_service.new_subscription("ancien-telephone")
    assert subscribe(citizen, subscription, token).status_code == 201
    deliver(settings, clock.now)

    booking = only_booking(settings)
    due = reminder_due(booking.start, "Europe/Paris", settings.reminder_hour)
    now = max(due, clock.now)
    assert asyncio.run(run(lambda db: send_reminders(db, settings, now))(settings.database_url))
    deliver(settings, now)
    assert push_service.refused == []
    assert push_service.delivered[-1].notification["title"] == "Rappel : rendez-vous demain"

    # The browser unsubscribed meanwhile: the town hall's cancellation finds it gone.
    push_service.answer = 410

    async def staff_cancel(db: Database) -> None:
        async with db.write() as session:
            booking = (await session.execute(select(Booking))).scalar_one()
            booking.status, booking.cancelled_at = "cancelled", now
            booking.sequence += 1
            await booking_cancelled(session, booking, now, settings, by_staff=True)

    asyncio.run(run(staff_cancel)(settings.database_url))
    deliver(settings, now)
    assert push_service.refused == []
    assert rows(settings, PushSubscription) == []
    pushed = {(r.channel, r.kind): r.status for r in outbox(settings)}
    cancelled = [pushed[("push", "booking_cancelled")]]
    assert cancelled == ["sent"]  # nothing left to deliver
