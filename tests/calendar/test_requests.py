"""What the bridge costs the calendar server: one kept client per account, credentials sent
with the first request (no request answered 401), each PUT body sent once. Counted by a
proxy in front of the real Radicale."""

from __future__ import annotations

import pytest

from app.calendar_sync.client import forget_clients
from app.calendar_sync.importer import sync_connection
from tests.calendar.bookings import make_booking
from tests.calendar.conftest import connect_desk, run
from tests.calendar.test_publish import publish
from tests.days import TUESDAY, open_day
from tests.faulty_proxy import FaultyProxy
from tests.instant import FIXED_NOW

DAY = open_day(TUESDAY)


@pytest.fixture
def radicale(caldav_server):
    if caldav_server.kind != "radicale":
        pytest.skip("the counting proxy speaks plain HTTP (Xandikos runs here over TLS)")
    return caldav_server


def test_publishing_and_syncing_send_credentials_up_front_and_each_body_once(
    calendar_settings, radicale
):
    settings = calendar_settings
    calendar = radicale.new_calendar()
    forget_clients()  # no client kept from an earlier test
    with FaultyProxy(radicale.port) as proxy:
        proxied = calendar.replace(f":{radicale.port}/", f":{proxy.port}/")
        connection_id = connect_desk(
            settings, radicale, read=[proxied], publish=proxied,
            base_url=f"http://127.0.0.1:{proxy.port}/",
        )  # fmt: skip
        proxy.exchanges.clear()
        first, second = make_booking(settings, DAY, 10), make_booking(settings, DAY, 11)
        assert publish(settings, first).action == "created"
        assert publish(settings, second).action == "created"
        assert run(sync_connection, settings, settings, connection_id, FIXED_NOW).ok

    statuses = [status for _method, status in proxy.exchanges]
    assert 401 not in statuses, proxy.exchanges
    assert [m for m, _s in proxy.exchanges].count("PUT") == 2, proxy.exchanges
