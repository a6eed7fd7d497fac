"""Secret subscription feeds (`webcal://` / `https://`) for a desk or a site."""

from __future__ import annotations

import logging

from icalendar import Calendar
from sqlalchemy import select

from app.calendar_sync.feeds import RedactFeedTokens, create_feed, feed_urls, revoke_feeds
from app.db.models import Booking, Commune, Desk, Site
from tests.calendar.bookings import change_booking, make_booking
from tests.calendar.conftest import run
from tests.calendar.test_import import TUESDAY
from tests.instant import FIXED_NOW


def new_feed(settings, *, desk: str | None = None, site: str | None = None) -> str:
    async def go(db):
        async with db.write() as session:
            if desk:
                ident = (await session.execute(select(Desk.id).where(Desk.name == desk))).scalar()
                return await create_feed(session, FIXED_NOW, desk_id=ident)
            ident = (await session.execute(select(Site.id).where(Site.name == site))).scalar()
            return await create_feed(session, FIXED_NOW, site_id=ident)

    return run(go, settings)


def test_a_desk_feed_serves_its_bookings_with_an_etag(client, settings):
    client.get("/")  # the application loads the demo commune at start-up
    booking_id = make_booking(settings, TUESDAY, 10)
    make_booking(settings, TUESDAY, 10, desk="Guichet titres d'identité")
    token = new_feed(settings, desk="Accueil CCAS")
    response = client.get(f"/agenda/{token}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "Rendez-vous — Accueil CCAS"
    assert len(calendar.events) == 1  # not the other desk's
    booking = run(lambda db: _get(db, booking_id), settings)
    assert str(calendar.events[0]["UID"]) == booking.uid
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Paris"

    etag = response.headers["etag"]
    again = client.get(f"/agenda/{token}.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""

    change_booking(settings, booking_id, status="cancelled")
    after = client.get(f"/agenda/{token}.ics", headers={"If-None-Match": etag})
    assert after.status_code == 200 and Calendar.from_ical(after.content).events == []


async def _get(db, booking_id):
    async with db.read() as session:
        return await session.get(Booking, booking_id)


def test_a_site_feed_holds_every_desk_of_the_site(client, settings):
    client.get("/")
    make_booking(settings, TUESDAY, 10, desk="Guichet titres d'identité")
    make_booking(settings, TUESDAY, 11, desk="Bureau de l'état civil")
    make_booking(settings, TUESDAY, 10)  # Espace solidarité: another site
    token = new_feed(settings, site="Hôtel de ville")
    calendar = Calendar.from_ical(client.get(f"/agenda/{token}.ics").content)
    assert len(calendar.events) == 2


def test_a_citizen_name_cannot_inject_lines(client, settings):
    client.get("/")
    booking_id = make_booking(settings, TUESDAY, 10)

    async def rename(db):
        async with db.write() as session:
            booking = await session.get(Booking, booking_id)
            booking.first_name = "Léa\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:piège;,"

    run(rename, settings)
    token = new_feed(settings, desk="Accueil CCAS")
    body = client.get(f"/agenda/{token}.ics").content
    assert body.split(b"\r\n").count(b"BEGIN:VEVENT") == 1
    assert body.split(b"\r\n").count(b"END:VEVENT") == 1
    event = Calendar.from_ical(body).events[0]
    assert "piège;," in str(event["SUMMARY"])


def test_a_feed_says_only_what_the_commune_chose_about_the_person(client, settings):
    client.get("/")
    make_booking(settings, TUESDAY, 10)
    token = new_feed(settings, desk="Accueil CCAS")
    body = client.get(f"/agenda/{token}.ics").content.decode()
    event = Calendar.from_ical(body).events[0]
    assert str(event["SUMMARY"]) == "CCAS — aide sociale — Léa M."
    assert str(event["CLASS"]) == "PRIVATE"
    assert "Martin" not in body and "+33612345678" not in body and "lea@" not in body

    async def choose(db, details):
        async with db.write() as session:
            (await session.execute(select(Commune))).scalar_one().calendar_details = details

    run(choose, settings, "complet")
    body = client.get(f"/agenda/{token}.ics").content.decode()
    assert "Léa Martin" in body and "+33612345678" in body
    run(choose, settings, "reference")
    body = client.get(f"/agenda/{token}.ics").content.decode()
    assert "Léa" not in body and "Martin" not in body


def test_unknown_and_revoked_tokens_answer_404_alike(client, settings):
    client.get("/")
    token = new_feed(settings, desk="Accueil CCAS")
    assert client.get(f"/agenda/{token}.ics").status_code == 200
    assert client.get("/agenda/inventé.ics").status_code == 404
    assert client.get(f"/agenda/{token}").status_code == 404

    async def revoke(db):
        async with db.write() as session:
            ident = (
                await session.execute(select(Desk.id).where(Desk.name == "Accueil CCAS"))
            ).scalar()
            return await revoke_feeds(session, FIXED_NOW, desk_id=ident)

    assert run(revoke, settings) == 1
    assert client.get(f"/agenda/{token}.ics").status_code == 404


def test_feed_addresses_and_logs_keep_only_the_secret_in_the_url():
    token = "a" * 43
    https, webcal = feed_urls("https://rdv.mairie.example", token)
    assert https == f"https://rdv.mairie.example/agenda/{token}.ics"
    assert webcal == f"webcal://rdv.mairie.example/agenda/{token}.ics"
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/agenda/{token}.ics", "1.1", 200), None,
    )  # fmt: skip
    RedactFeedTokens().filter(record)
    assert token not in record.getMessage() and "/agenda/…" in record.getMessage()


def test_a_feed_answers_head_with_its_etag(client, settings):
    """Calendar clients ask HEAD to see whether a feed changed (issue 13)."""
    client.get("/")
    token = new_feed(settings, desk="Accueil CCAS")
    got = client.get(f"/agenda/{token}.ics")
    head = client.head(f"/agenda/{token}.ics")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-type"] == "text/calendar; charset=utf-8"
    unchanged = client.head(f"/agenda/{token}.ics", headers={"If-None-Match": got.headers["etag"]})
    assert unchanged.status_code == 304
    assert client.head("/agenda/not-a-token.ics").status_code == 404
