"""A citizen's booking reaches the agent's calendar through the outbox, and its
cancellation removes it: the whole path, from the web form to a real CalDAV server."""

from __future__ import annotations

from dataclasses import replace

from litestar.testing import TestClient
from sqlalchemy import select

from app.asgi import create_app
from app.calendar_sync.client import get_object, join
from app.calendar_sync.importer import sync_connection
from app.db.models import BlockedInterval, Booking, OutboxMessage, PublishedEvent
from app.notifications.events import booking_cancelled
from app.wiring import build_worker
from tests.calendar.conftest import connect_desk, run
from tests.conftest import Citizen
from tests.instant import FIXED_NOW
from tests.integration.flow import book


async def _all(db, statement):
    async with db.read() as session:
        return list((await session.execute(statement)).scalars())


def deliver(settings, clock) -> int:
    return run(lambda db: build_worker(db, settings, clock).deliver_due(), settings)


def test_a_web_booking_is_published_then_removed_when_cancelled(
    calendar_settings, caldav_server, clock
):
    settings = replace(calendar_settings, embedded_worker=False)
    calendar = caldav_server.new_calendar()
    connection_id = connect_desk(settings, caldav_server, read=[calendar], publish=calendar)
    with TestClient(create_app(settings, clock=clock), base_url="http://127.0.0.1") as client:
        book(Citizen(client))

    messages = run(_all, settings, select(OutboxMessage).where(OutboxMessage.channel == "caldav"))
    assert [m.kind for m in messages] == ["booking_confirmed"]
    deliver(settings, clock)
    booking = run(_all, settings, select(Booking))[0]
    event = run(_all, settings, select(PublishedEvent))[0]
    found = get_object(caldav_server.account(), join(caldav_server.base_url, event.href[1:]))
    assert found is not None and booking.uid in found.data
    assert "Camille D." in found.data.replace("\r\n ", "")

    # The agent's calendar now holds our event: it is not imported back as an absence.
    assert run(sync_connection, settings, settings, connection_id, FIXED_NOW).ok
    assert run(_all, settings, select(BlockedInterval)) == []

    async def cancel(db):
        async with db.write() as session:
            row = await session.get(Booking, booking.id)
            row.status, row.sequence = "cancelled", row.sequence + 1
            await booking_cancelled(session, row, FIXED_NOW, settings)

    run(cancel, settings)
    deliver(settings, clock)
    assert get_object(caldav_server.account(), join(caldav_server.base_url, event.href[1:])) is None
    sent = run(
        _all, settings, select(OutboxMessage.status).where(OutboxMessage.channel == "caldav")
    )
    assert sent == ["sent", "sent"]


def test_no_calendar_message_for_a_desk_without_calendar(settings, clock):
    settings = replace(settings, embedded_worker=False)
    with TestClient(create_app(settings, clock=clock), base_url="http://127.0.0.1") as client:
        book(Citizen(client))
    channels = run(_all, settings, select(OutboxMessage.channel))
    assert "caldav" not in channels and "email" in channels
