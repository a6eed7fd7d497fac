"""Modify and cancel driven by the links of the e-mails themselves, as received by a real SMTP
server (aiosmtpd on 127.0.0.1): each change sends exactly one new e-mail, with the same UID
and the next SEQUENCE, and links that replace the previous ones."""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from tests.integration.changes_helpers import csrf_token, post_choice, visible
from tests.integration.flow import book, slot_values
from tests.integration.helpers import PATHS
from tests.integration.mail_helpers import SmtpServer, deliver, only_booking, smtp_settings
from tests.integration.test_notification_email import the_event

PARIS = ZoneInfo("Europe/Paris")
LINK = re.compile(r"https?://[^\s<>\"]+/rendez-vous/(modifier|annuler)/[A-Za-z0-9_.\-]+")


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings, smtp):
    return smtp_settings(settings, smtp.port)


def links_in(message) -> dict[str, str]:
    """The modify and cancel links of the plain-text part, as paths on our server."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    found = {kind: urlsplit(url).path for url, kind in ((m[0], m[1]) for m in LINK.finditer(text))}
    assert set(found) == {"modifier", "annuler"}, text
    return found


def only_new_email(settings, smtp, clock, expected_total: int):
    deliver(settings, clock.now)
    assert len(smtp.received) == expected_total
    return smtp.received[-1].message


def test_the_emailed_links_move_then_cancel_with_one_email_each(citizen, settings, smtp, clock):
    book(citizen)
    booking = only_booking(settings)
    confirmation = only_new_email(settings, smtp, clock, 1)
    _, first_event = the_event(confirmation, "REQUEST")
    first_links = links_in(confirmation)

    # Modifier, from the e-mail, in a browser that never saw the booking.
    citizen.client.cookies.clear()
    step1 = citizen.get(first_links["modifier"])
    assert step1.url.path == PATHS[1]
    new_slot = slot_values(citizen.get(PATHS[5]).text)[1]
    citizen.submit(PATHS[5], {"creneau": new_slot})
    assert deliver(settings, clock.now) == 0  # nothing is sent before the confirmation
    assert citizen.submit(PATHS[6], {}).url.path == PATHS[7]

    moved_email = only_new_email(settings, smtp, clock, 2)
    _, moved_event = the_event(moved_email, "REQUEST")
    assert str(moved_event["UID"]) == str(first_event["UID"]) == booking.uid
    assert int(moved_event["SEQUENCE"]) == 1
    assert moved_event.decoded("DTSTART").isoformat() == new_slot
    moved_links = links_in(moved_email)
    assert moved_links != first_links
    assert "Lien remplacé" in visible(citizen.get(first_links["annuler"]))

    # A replayed confirmation sends nothing more.
    replay = citizen.client.post(
        PATHS[6], data={"_csrf_token": csrf_token(citizen)}, follow_redirects=False
    )
    assert replay.headers["location"] == PATHS[7]
    assert deliver(settings, clock.now) == 0

    # Annuler, from the second e-mail; a second click sends nothing more.
    done = post_choice(citizen, moved_links["annuler"], "annuler")
    assert "Rendez-vous annulé" in visible(done)
    cancelled_email = only_new_email(settings, smtp, clock, 3)
    calendar, cancelled_event = the_event(cancelled_email, "CANCEL")
    assert str(cancelled_event["UID"]) == booking.uid
    assert int(cancelled_event["SEQUENCE"]) == 2
    assert str(cancelled_event["STATUS"]) == "CANCELLED"
    post_choice(citizen, moved_links["annuler"], "annuler")
    assert deliver(settings, clock.now) == 0
    assert len(smtp.received) == 3


def test_an_abandoned_modification_sends_nothing(citizen, settings, smtp, clock):
    book(citizen)
    confirmation = only_new_email(settings, smtp, clock, 1)
    citizen.get(links_in(confirmation)["modifier"])
    citizen.submit(PATHS[5], {"creneau": slot_values(citizen.get(PATHS[5]).text)[2]})
    assert deliver(settings, clock.now) == 0
    assert len(smtp.received) == 1
    assert only_booking(settings).sequence == 0


def test_keeping_the_appointment_sends_nothing(citizen, settings, smtp, clock):
    book(citizen)
    confirmation = only_new_email(settings, smtp, clock, 1)
    kept = post_choice(citizen, links_in(confirmation)["annuler"], "garder")
    assert "est maintenu" in visible(kept)
    assert deliver(settings, clock.now) == 0
    assert only_booking(settings).status == "confirmed"
