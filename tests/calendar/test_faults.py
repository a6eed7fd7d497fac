"""Faults: a server killed in the middle of a sync, 500s, answers slower than the timeout.
Bookings keep working, nothing is lost, and everything converges once the server is back."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from app.asgi import create_app
from app.calendar_sync import importer
from app.calendar_sync.client import get_object, join
from app.calendar_sync.importer import sync_connection
from app.db.models import (
    BlockedInterval,
    Booking,
    CalendarConnection,
    OutboxMessage,
    PublishedEvent,
)
from app.wiring import build_worker
from tests.calendar.conftest import connect_desk, run
from tests.calendar.ics_text import absence
from tests.calendar.test_import import MORNING, TUESDAY, morning
from tests.conftest import Citizen, Clock
from tests.days import at
from tests.faulty_proxy import ERROR_500, PASS, SLOW, FaultyProxy
from tests.instant import FIXED_NOW
from tests.integration.flow import book


async def _all(db, statement):
    async with db.read() as session:
        return list((await session.execute(statement)).scalars())


def sync(settings, connection_id, now=FIXED_NOW):
    return run(sync_connection, settings, settings, connection_id, now)


def test_a_server_killed_mid_sync_loses_nothing_and_converges(
    calendar_settings, caldav_server, monkeypatch
):
    settings = calendar_settings
    first, second = caldav_server.new_calendar(), caldav_server.new_calendar()
    old = caldav_server.put_raw(first, "a.ics", absence("k1", at(TUESDAY, 8, 30), at(TUESDAY, 9)))
    connection_id = connect_desk(settings, caldav_server, read=[first, second])
    assert sync(settings, connection_id).ok

    caldav_server.delete_raw(old)
    caldav_server.put_raw(second, "b.ics", absence("k2", at(TUESDAY, 11), at(TUESDAY, 11, 30)))
    real_list = importer.list_changes

    def list_then_die(*args, **kwargs):
        listing = real_list(*args, **kwargs)
        caldav_server.stop()  # killed after the first calendar's listing, before the second
        return listing

    monkeypatch.setattr(importer, "list_changes", list_then_die)
    try:
        report = sync(replace(settings, caldav_timeout_seconds=2), connection_id)
    finally:
        caldav_server.start()
    monkeypatch.setattr(importer, "list_changes", real_list)
    assert not report.ok
    # Each calendar is applied whole or not at all: the first one's deletion is kept, the
    # second calendar's new absence waits for the next sync.
    assert morning(settings) == MORNING

    assert sync(settings, connection_id).ok
    assert morning(settings) == [t for t in MORNING if t != "11:00"]


@pytest.fixture
def radicale(caldav_server):
    if caldav_server.kind != "radicale":
        pytest.skip("the fault proxy speaks plain HTTP (Xandikos runs here over TLS)")
    return caldav_server


@pytest.mark.parametrize("fault", [ERROR_500, SLOW])
def test_a_failing_server_delays_publishing_but_bookings_go_on_and_converge(
    calendar_settings, radicale, fault
):
    settings = replace(calendar_settings, embedded_worker=False, caldav_timeout_seconds=1)
    calendar = radicale.new_calendar()
    clock = Clock(FIXED_NOW)
    with FaultyProxy(radicale.port, delay=3) as proxy:
        proxied = calendar.replace(f":{radicale.port}/", f":{proxy.port}/")
        connection_id = connect_desk(
            settings, radicale, read=[proxied], publish=proxied,
            base_url=f"http://127.0.0.1:{proxy.port}/",
        )  # fmt: skip
        radicale.put_raw(calendar, "a.ics", absence("f1", at(TUESDAY, 8, 30), at(TUESDAY, 9)))
        proxy.mode = fault

        with TestClient(create_app(settings, clock=clock), base_url="http://127.0.0.1") as client:
            _slot, page = book(Citizen(client))
        assert "Rendez-vous confirmé" in page.text or page.url.path.endswith("/confirmation")
        assert len(run(_all, settings, select(Booking))) == 1

        for attempt in range(3):
            clock.now = FIXED_NOW + timedelta(hours=attempt)
            report = sync(settings, connection_id, clock.now)
            assert not report.ok
            run(lambda db: build_worker(db, settings, clock).deliver_due(), settings)
        expected = "à temps" if fault == SLOW else "difficulté"
        assert expected in report.message
        connection = run(_all, settings, select(CalendarConnection))[0]
        assert connection.status == "failing" and expected in connection.last_error
        message = run(
            _all, settings, select(OutboxMessage).where(OutboxMessage.channel == "caldav")
        )
        assert message[0].status == "pending" and message[0].attempts == 3

        proxy.mode = PASS
        clock.now = FIXED_NOW + timedelta(hours=5)
        report = sync(settings, connection_id, clock.now)
        assert report.ok
        run(lambda db: build_worker(db, settings, clock).deliver_due(), settings)

    connection = run(_all, settings, select(CalendarConnection))[0]
    assert connection.status == "ok"
    assert len(run(_all, settings, select(BlockedInterval))) == 1
    event = run(_all, settings, select(PublishedEvent))[0]
    assert get_object(radicale.account(), join(radicale.base_url, event.href[1:])) is not None
    sent = run(
        _all, settings, select(OutboxMessage.status).where(OutboxMessage.channel == "caldav")
    )
    assert sent == ["sent"]
