"""A connection flagged « en échec » because publishing kept failing is in service again
as soon as publishing goes through, without waiting for the next import."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from app.calendar_sync.channel import caldav_channel
from app.calendar_sync.client import CalendarUnreachable
from app.db.models import CalendarConnection
from app.outbox.store import Delivery
from tests.calendar.bookings import make_booking
from tests.calendar.conftest import connect_desk, run
from tests.conftest import Clock
from tests.days import TUESDAY, open_day
from tests.faulty_proxy import ERROR_500, PASS, FaultyProxy
from tests.instant import FIXED_NOW

DAY = open_day(TUESDAY)


@pytest.fixture
def radicale(caldav_server):
    if caldav_server.kind != "radicale":
        pytest.skip("the fault proxy speaks plain HTTP (Xandikos runs here over TLS)")
    return caldav_server


async def _connection(db) -> CalendarConnection:
    async with db.read() as session:
        return (await session.execute(select(CalendarConnection))).scalar_one()


def test_the_failing_flag_is_cleared_when_publishing_recovers(calendar_settings, radicale):
    settings = replace(calendar_settings, caldav_timeout_seconds=2)
    calendar = radicale.new_calendar()
    with FaultyProxy(radicale.port) as proxy:
        proxied = calendar.replace(f":{radicale.port}/", f":{proxy.port}/")
        connect_desk(
            settings, radicale, read=[], publish=proxied,
            base_url=f"http://127.0.0.1:{proxy.port}/",
        )  # fmt: skip
        booking_id = make_booking(settings, DAY, 10)

        async def deliver(db, attempt: int) -> None:
            channel = caldav_channel(db, settings, Clock(FIXED_NOW))
            await channel(Delivery(1, "caldav", "booking_confirmed", "k",
                                   {"booking_id": booking_id}, attempt))  # fmt: skip

        proxy.mode = ERROR_500
        with pytest.raises(CalendarUnreachable):
            run(deliver, settings, 3)  # the third failed attempt flags the connection
        assert run(_connection, settings).status == "failing"

        proxy.mode = PASS
        run(deliver, settings, 4)
    connection = run(_connection, settings)
    assert connection.status == "ok" and connection.last_error == ""
