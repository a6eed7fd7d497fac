"""The emailed *annuler* link: step 1 under a banner asking to confirm; confirming cancels
once (places freed, SEQUENCE + 1); every other case gets a clear French message and
changes nothing."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from tests.integration.changes_helpers import (
    book_one,
    cancel_link,
    modify_link,
    post_choice,
    snapshot,
    the_booking,
    visible,
)
from tests.integration.flow import slot_values
from tests.integration.helpers import PATHS, Citizens, assert_no_traceback, walk_to

PARIS = ZoneInfo("Europe/Paris")
QUESTION = "Êtes-vous sûr de vouloir annuler votre rendez-vous ?"


def dialog_of(page: str) -> str:
    match = re.search(r"<dialog[^>]*>.*?</dialog>", page, re.S)
    assert match, "no dialog in the page"
    return match.group(0)


def test_the_link_shows_step_1_under_the_banner_and_changes_nothing(citizen, settings):
    booking = book_one(citizen, settings)
    citizen.client.cookies.clear()
    page = citizen.get(cancel_link(settings, booking))
    assert page.status_code == 200
    dialog = dialog_of(page.text)
    assert 'role="alertdialog"' in dialog
    assert re.search(r"<dialog[^>]*\sopen[\s>]", dialog)
    labelled = re.search(r'aria-labelledby="([^"]+)"', dialog).group(1)
    assert f'id="{labelled}"' in dialog
    assert QUESTION in visible(page).replace("\u00a0", " ")
    assert booking.reference in dialog
    # The banner comes first: before the progress, the heading and step 1's form.
    assert page.text.index("<dialog") < page.text.index('class="progression"')
    assert page.text.index("<dialog") < page.text.index("<h1")
    assert "<title>Annuler votre rendez-vous" in page.text
    assert page.text.index("<dialog") < page.text.index('name="type_id"')
    # Two forms posting back to the link, each with a CSRF token; focus on "keep".
    forms = re.findall(r"<form[^>]*>.*?</form>", dialog, re.S)
    assert len(forms) == 2
    for form in forms:
        assert 'method="post"' in form
        assert 'name="_csrf_token"' in form
    assert 'value="annuler"' in forms[0] and 'value="garder"' in forms[1]
    assert "autofocus" in forms[1]
    assert snapshot(the_booking(settings, booking.id)) == snapshot(booking)


def test_confirming_cancels_frees_the_place_and_bumps_the_sequence(citizen, settings):
    citizens = Citizens(citizen)
    with citizens.as_("owner") as owner:
        booking = book_one(owner, settings, slot_index=0)
    booked_slot = booking.start.astimezone(PARIS).isoformat()
    with citizens.as_("other") as other:
        assert booked_slot not in slot_values(walk_to(other, 5)[0].text)
    with citizens.as_("owner") as owner:
        done = post_choice(owner, cancel_link(settings, booking), "annuler")
    assert done.status_code == 200
    assert "Rendez-vous annulé" in visible(done)
    assert booking.reference in visible(done)
    cancelled = the_booking(settings, booking.id)
    assert cancelled.status == "cancelled"
    assert cancelled.sequence == booking.sequence + 1
    assert (cancelled.uid, cancelled.start) == (booking.uid, booking.start)
    with citizens.as_("other") as other:
        assert booked_slot in slot_values(other.get(PATHS[5]).text)


def test_a_second_click_and_a_later_visit_say_it_is_already_cancelled(citizen, settings):
    booking = book_one(citizen, settings)
    link = cancel_link(settings, booking)
    first = post_choice(citizen, link, "annuler")
    assert "Rendez-vous annulé" in visible(first)
    again = post_choice(citizen, link, "annuler")
    assert "annulé" in visible(again)
    assert the_booking(settings, booking.id).sequence == 1  # cancelled once
    later = citizen.get(link)
    assert later.status_code == 410
    assert "Rendez-vous déjà annulé" in visible(later)
    assert "<dialog" not in later.text
    kept = post_choice(citizen, link, "garder")
    assert "déjà annulé" in visible(kept)
    modify = citizen.get(modify_link(settings, booking))
    assert modify.status_code == 410
    assert "déjà été annulé" in visible(modify)


def test_keeping_changes_nothing_and_says_so(citizen, settings):
    booking = book_one(citizen, settings)
    kept = post_choice(citizen, cancel_link(settings, booking), "garder")
    assert kept.status_code == 200
    assert "est maintenu" in visible(kept)
    assert "<dialog" not in kept.text
    assert snapshot(the_booking(settings, booking.id)) == snapshot(booking)


def test_an_unknown_choice_changes_nothing(citizen, settings):
    booking = book_one(citizen, settings)
    page = post_choice(citizen, cancel_link(settings, booking), "peut-être")
    assert "<dialog" in page.text
    assert snapshot(the_booking(settings, booking.id)) == snapshot(booking)


def test_a_past_appointment_cannot_be_cancelled(citizen, settings, clock):
    booking = book_one(citizen, settings)
    link = cancel_link(settings, booking)
    clock.now = booking.start
    page = citizen.get(link)
    assert page.status_code == 410
    assert "Rendez-vous passé" in visible(page)
    refused = post_choice(citizen, link, "annuler")
    assert "Rendez-vous passé" in visible(refused)
    assert snapshot(the_booking(settings, booking.id)) == snapshot(booking)


def test_forged_tampered_and_wrong_purpose_links_are_refused(citizen, settings):
    booking = book_one(citizen, settings)
    genuine = cancel_link(settings, booking)
    forged = cancel_link(replace(settings, secret_key="another-key-" * 4), booking)
    wrong_purpose = "/rendez-vous/annuler/" + modify_link(settings, booking).rsplit("/", 1)[1]
    token = genuine.rsplit("/", 1)[1]
    tampered = f"/rendez-vous/annuler/{token[:19]}{token[19:][::-1]}"
    for path in (forged, wrong_purpose, tampered, "/rendez-vous/annuler/" + "A" * 500):
        page = citizen.get(path)
        assert page.status_code == 404, path
        assert "Lien non valable" in visible(page)
        assert booking.reference not in page.text
        assert_no_traceback(page)
        refused = post_choice(citizen, path, "annuler")
        assert refused.status_code == 404
    assert snapshot(the_booking(settings, booking.id)) == snapshot(booking)


def test_a_post_without_the_csrf_token_is_refused(citizen, settings):
    booking = book_one(citizen, settings)
    link = cancel_link(settings, booking)
    citizen.get(link)
    refused = post_choice(citizen, link, "annuler", with_csrf=False)
    assert refused.status_code == 403
    forged_token = citizen.client.post(
        link, data={"choix": "annuler", "_csrf_token": "x" * 64}, follow_redirects=True
    )
    assert forged_token.status_code == 403
    assert snapshot(the_booking(settings, booking.id)) == snapshot(booking)


def test_the_link_works_in_another_browser_than_the_one_that_booked(citizen, settings):
    citizens = Citizens(citizen)
    with citizens.as_("booker") as booker:
        booking = book_one(booker, settings)
    with citizens.as_("mail reader") as reader:
        done = post_choice(reader, cancel_link(settings, booking), "annuler")
    assert "Rendez-vous annulé" in visible(done)
    assert the_booking(settings, booking.id).status == "cancelled"


def test_cancelling_one_booking_leaves_the_others(citizen, settings):
    citizens = Citizens(citizen)
    with citizens.as_("a") as a:
        first = book_one(a, settings, slot_index=0)
    with citizens.as_("b") as b:
        second = book_one(b, settings, slot_index=0)
    post_choice(citizen, cancel_link(settings, first), "annuler")
    assert the_booking(settings, first.id).status == "cancelled"
    assert snapshot(the_booking(settings, second.id)) == snapshot(second)


def test_the_link_expires_exactly_when_the_appointment_begins(citizen, settings, clock):
    booking = book_one(citizen, settings)
    clock.now = booking.start - timedelta(seconds=1)
    assert "<dialog" in citizen.get(cancel_link(settings, booking)).text
