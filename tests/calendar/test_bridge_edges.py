"""Edge cases of the calendar bridge: a server that refuses while an event leaves it, a
connection deleted while its calendars are read, an event that vanishes right after it was
written."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from app.calendar_sync import importer
from app.calendar_sync.client import (
    Account,
    CalendarRefused,
    CalendarUnreachable,
    Listing,
    put_object,
)
from app.calendar_sync.importer import sync_connection
from app.calendar_sync.publisher import publish_booking
from app.db.models import CalendarConnection
from tests.calendar.bookings import change_booking, make_booking
from tests.calendar.conftest import connect_desk, desk_named, run
from tests.conftest import FIXED_NOW

DAY = date(2026, 12, 1)
OTHER_DESK = "Bureau de l'état civil"


async def _connections(db) -> dict[int, CalendarConnection]:
    async with db.read() as session:
        rows = (await session.execute(select(CalendarConnection))).scalars()
        return {row.desk_id: row for row in rows}


def test_a_refused_removal_flags_the_connection_that_refused(calendar_settings, caldav_server):
    settings = calendar_settings
    first, second = caldav_server.new_calendar(), caldav_server.new_calendar()
    connect_desk(settings, caldav_server, read=[], publish=first)
    booking_id = make_booking(settings, DAY, 10)
    assert run(publish_booking, settings, settings, booking_id, FIXED_NOW).action == "created"
    # The booking moves to a desk with its own calendar; the first desk's password changed.
    connect_desk(settings, caldav_server, read=[], publish=second, desk=OTHER_DESK)
    connect_desk(settings, caldav_server, read=[], publish=first, password="faux")
    other_desk = run(desk_named, settings, OTHER_DESK)
    change_booking(settings, booking_id, desk_id=other_desk.id)

    with pytest.raises(CalendarRefused):
        run(publish_booking, settings, settings, booking_id, FIXED_NOW)
    connections = run(_connections, settings)
    first_desk = run(desk_named, settings, "Accueil CCAS")
    assert connections[first_desk.id].status == "failing"
    assert connections[other_desk.id].status == "ok"
    assert connections[other_desk.id].last_error == ""


async def _delete_connections(db) -> None:
    async with db.write() as session:
        for connection in (await session.execute(select(CalendarConnection))).scalars():
            await session.delete(connection)


def test_a_connection_deleted_during_its_sync_is_left_alone(
    calendar_settings, caldav_server, monkeypatch
):
    settings = calendar_settings
    connection_id = connect_desk(settings, caldav_server, read=[caldav_server.new_calendar()])

    def deleted_meanwhile(*_args: object) -> Listing:
        run(_delete_connections, settings)  # the desk was deleted while the server answered
        return Listing(etags={}, loaded={}, deleted=[], sync_token=None, complete=True)

    monkeypatch.setattr(importer, "list_changes", deleted_meanwhile)
    report = run(sync_connection, settings, settings, connection_id, FIXED_NOW)
    assert report.changed == 0 and report.deleted == 0
    assert run(_connections, settings) == {}


def test_a_connection_deleted_during_a_failed_sync_is_left_alone(
    calendar_settings, caldav_server, monkeypatch
):
    settings = calendar_settings
    connection_id = connect_desk(settings, caldav_server, read=[caldav_server.new_calendar()])

    def deleted_meanwhile(*_args: object) -> Listing:
        run(_delete_connections, settings)
        raise CalendarUnreachable("connection refused", "connection")

    monkeypatch.setattr(importer, "list_changes", deleted_meanwhile)
    report = run(sync_connection, settings, settings, connection_id, FIXED_NOW)
    assert not report.ok and "ne répond pas" in report.message
    assert run(_connections, settings) == {}


@pytest.fixture
def forgetful_server() -> Iterator[str]:
    """A server that accepts a PUT without giving an ETag, then no longer has the object
    (someone deleted it in between)."""

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_an_event_gone_right_after_its_put_is_worth_writing_again(forgetful_server):
    account = Account(forgetful_server, "alice", "secret", timeout=5)
    with pytest.raises(CalendarUnreachable) as raised:
        put_object(account, forgetful_server + "agenda/rdv.ics", "BEGIN:VCALENDAR", create=True)
    assert raised.value.kind == "server"
    assert "gone right after it was written" in str(raised.value)
