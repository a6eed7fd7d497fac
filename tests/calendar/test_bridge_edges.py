"""Edge cases of the calendar bridge: an event that vanishes right after it was written."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from app.calendar_sync.client import Account, CalendarUnreachable, put_object


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
