"""Compressed answers, read as the bytes that leave the application: pages, htmx
fragments, CSS, JavaScript, the service worker, iCalendar and CSV downloads are brotli- or
gzip-encoded when the client accepts it and decode to exactly the uncompressed answer;
images and short answers are sent as they are. (The real server: test_http_server.py.)"""

from __future__ import annotations

import gzip
import re
from dataclasses import replace
from datetime import timedelta

import brotli
import pytest
from sqlalchemy import select

from app.calendar_sync.feeds import create_feed
from app.db.models import Desk
from app.staff.roles import Role
from app.web.compression import MINIMUM_SIZE
from app.web.static_files import STATIC
from tests.days import TUESDAY, open_day
from tests.instant import FIXED_NOW
from tests.integration.data_helpers import add_booking, local, write
from tests.integration.flow import book, walk_to_slots
from tests.integration.helpers import HX, ICS_PATH, PATHS
from tests.integration.staff_helpers import create_staff, csrf_token, logged_in

DECODE = {"gzip": gzip.decompress, "br": brotli.decompress}


def raw_get(client, path: str, accept_encoding: str, **headers: str):
    """The answer and its body as sent (not decoded by the client)."""
    with client.stream("GET", path, headers={"Accept-Encoding": accept_encoding, **headers}) as r:
        return r, b"".join(r.iter_raw())


def assert_compressed_alike(client, path: str, **headers: str) -> int:
    """`path` answers the same content in gzip, in brotli and uncompressed; returns its
    uncompressed size."""
    plain, body = raw_get(client, path, "identity", **headers)
    assert plain.status_code == 200, path
    assert "content-encoding" not in plain.headers
    assert len(body) >= MINIMUM_SIZE, f"{path}: {len(body)} bytes, too short to compress"
    for coding, decode in DECODE.items():
        response, sent = raw_get(client, path, coding, **headers)
        assert response.headers["content-encoding"] == coding, path
        assert "Accept-Encoding" in response.headers["vary"], path
        assert int(response.headers["content-length"]) == len(sent) < len(body)
        assert decode(sent) == body, f"{path} ({coding}) differs once decoded"
    return len(body)


def test_the_booking_pages_and_fragments_are_compressed(citizen):
    step5 = walk_to_slots(citizen)
    assert step5.url.path == PATHS[5]
    assert_compressed_alike(citizen.client, PATHS[1])
    assert_compressed_alike(citizen.client, PATHS[5])
    assert_compressed_alike(citizen.client, PATHS[5], **HX)
    # The fragment is still the fragment, told apart from the page in caches.
    response, _ = raw_get(citizen.client, PATHS[5], "gzip", **HX)
    assert {"HX-Request", "Accept-Encoding"} <= {
        v.strip() for v in response.headers["vary"].split(",")
    }


def test_css_javascript_and_the_service_worker_are_compressed(client):
    page = client.get(PATHS[1]).text
    htmx = re.search(r'src="(/static/vendor/htmx/[^"]+)"', page).group(1)
    for path in ("/static/css/creneau.css", htmx, "/static/js/pwa.js", "/sw.js"):
        assert_compressed_alike(client, path)


def test_the_ics_download_is_compressed(citizen):
    book(citizen)
    assert_compressed_alike(citizen.client, ICS_PATH)


@pytest.fixture
def settings(settings):
    return replace(settings, embedded_worker=False)


def test_the_csv_export_is_compressed(settings, client):
    client.get("/")  # the application loads the demo commune at start-up
    day = open_day(TUESDAY)

    async def work(session):
        for n in range(12):
            await add_booking(
                session, "ccas-aide-sociale", local(day, 9) + timedelta(minutes=20 * n)
            )

    write(settings, work)
    logged_in(client, create_staff(settings, Role.ADMIN))
    form = {
        "du": f"{day}",
        "au": f"{day}",
        "site": "",
        "_csrf_token": csrf_token(client, "/admin/export"),
    }
    answers = {}
    for coding in ("identity", "gzip"):
        response = client.post("/admin/export", data=form, headers={"Accept-Encoding": coding})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers.get("content-encoding", "identity") == coding
        answers[coding] = response
    assert answers["gzip"].content == answers["identity"].content  # decoded by the client
    assert answers["gzip"].content.count(b"\r\n") == 13  # the header and 12 bookings
    sent = {coding: int(answer.headers["content-length"]) for coding, answer in answers.items()}
    assert sent["gzip"] < sent["identity"] / 2


def test_a_calendar_feed_keeps_answering_304_with_its_weakened_etag(settings, client):
    client.get("/")

    async def work(session):
        desk = (await session.execute(select(Desk.id).where(Desk.name == "Accueil CCAS"))).scalar()
        await add_booking(session, "ccas-aide-sociale", local(open_day(TUESDAY), 10))
        return await create_feed(session, FIXED_NOW, desk_id=desk)

    path = f"/agenda/{write(settings, work)}.ics"
    plain, _ = raw_get(client, path, "identity")
    compressed, _ = raw_get(client, path, "gzip")
    assert compressed.headers["content-encoding"] == "gzip"
    # Another representation of the same content: the same tag, weak (RFC 9110 §8.8.3).
    assert compressed.headers["etag"] == f"W/{plain.headers['etag']}"
    for etag in (plain.headers["etag"], compressed.headers["etag"]):
        again = client.get(path, headers={"If-None-Match": etag, "Accept-Encoding": "gzip"})
        assert again.status_code == 304 and again.content == b""


def test_images_and_short_answers_are_sent_as_they_are(client):
    icon = (STATIC / "icons" / "icon-192.png").read_bytes()
    response, sent = raw_get(client, "/static/icons/icon-192.png", "gzip, br")
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert sent == icon
    health, sent = raw_get(client, "/healthz", "gzip, br")
    assert health.status_code == 200 and len(sent) < MINIMUM_SIZE
    assert "content-encoding" not in health.headers


def test_a_coding_refused_with_q_0_is_not_used(client):
    response, body = raw_get(client, PATHS[1], "gzip;q=0, br;q=0")
    assert "content-encoding" not in response.headers
    assert body.startswith(b"<!doctype html>")
