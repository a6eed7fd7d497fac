"""The first sync of a calendar lists it whole, which a cold server may take minutes to
answer: that listing has its own, longer deadline, and the sync says what it is doing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.calendar_sync.importer import sync_connection
from tests.calendar.conftest import connect_desk, run
from tests.calendar.ics_text import absence
from tests.calendar.test_import import MORNING, TUESDAY, morning
from tests.days import at
from tests.faulty_proxy import SLOW, FaultyProxy
from tests.instant import FIXED_NOW


@pytest.fixture
def radicale(caldav_server):
    if caldav_server.kind != "radicale":
        pytest.skip("the fault proxy speaks plain HTTP (Xandikos runs here over TLS)")
    return caldav_server


def test_a_first_sync_slower_than_the_request_timeout_gets_through(calendar_settings, radicale):
    settings = replace(
        calendar_settings, caldav_timeout_seconds=0.5, caldav_listing_timeout_seconds=10
    )
    calendar = radicale.new_calendar()
    radicale.put_raw(calendar, "a.ics", absence("s1", at(TUESDAY, 8, 30), at(TUESDAY, 9)))
    with FaultyProxy(radicale.port, delay=1.5) as proxy:
        proxied = calendar.replace(f":{radicale.port}/", f":{proxy.port}/")
        connection_id = connect_desk(
            settings, radicale, read=[proxied], base_url=f"http://127.0.0.1:{proxy.port}/"
        )
        proxy.mode, proxy.slow_only = SLOW, b"sync-collection"  # the whole listing is slow
        said: list[str] = []
        report = run(sync_connection, settings, settings, connection_id, FIXED_NOW, said.append)
    assert report.ok, report.message
    assert report.full and report.changed == 1
    assert morning(settings) == MORNING[1:]
    assert any("Lecture complète" in line for line in said), said
