"""The emailed *modifier* link: step 1 with every answer pre-filled, the booking untouched
until the new recap is confirmed, then moved in place (same UID, SEQUENCE + 1)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from tests.days import NOTICE, first_free, french_date, french_time
from tests.integration.changes_helpers import (
    book_one,
    cancel_link,
    modify_link,
    post_choice,
    snapshot,
    the_booking,
    visible,
)
from tests.integration.flow import CONTACT, slot_values
from tests.integration.helpers import (
    CCAS,
    HX,
    PATHS,
    Citizens,
    bookings,
    checked_values,
    choose_type,
    drafts,
    type_ids,
    value_of,
    walk_to,
)

PARIS = ZoneInfo("Europe/Paris")
MODIFYING = "Vous modifiez votre rendez-vous du"
SECOND_CHILD = {**CONTACT, "first_name": "Lou"}


def book_at_first_offered(citizen):
    """From step 5 on: the first slot offered, then the recap confirmed."""
    citizen.submit(PATHS[5], {"creneau": slot_values(citizen.get(PATHS[5]).text)[0]})
    return citizen.submit(PATHS[6], {})


def start_modifying(citizen, settings, booking):
    response = citizen.get(modify_link(settings, booking))
    assert response.status_code == 200
    assert response.url.path == PATHS[1]
    return response


def test_the_link_opens_step_1_with_every_answer_prefilled(citizen, settings):
    booking = book_one(citizen, settings)
    citizen.client.cookies.clear()  # the email is opened later, elsewhere
    step1 = start_modifying(citizen, settings, booking)
    assert checked_values(step1.text, "type_id") == [str(type_ids(step1.text)[CCAS])]
    assert MODIFYING in visible(step1)
    assert booking.reference in visible(step1)
    first = first_free()  # the slot booked: the first offered
    assert booking.start == first
    booked_on = f"{french_date(first)} à {french_time(first)}"  # « lundi 30 novembre 2026 à 10 h »
    assert booked_on in visible(step1).replace("\u00a0", " ")

    people = citizen.get(PATHS[3])
    assert value_of(people.text, "people") == "1"
    contact = citizen.get(PATHS[4])
    assert value_of(contact.text, "last_name") == CONTACT["last_name"]
    assert value_of(contact.text, "first_name") == CONTACT["first_name"]
    assert value_of(contact.text, "email") == CONTACT["email"]
    assert value_of(contact.text, "phone").replace("\u00a0", " ") == CONTACT["phone"]
    # The booked slot does not count against itself: it is offered, and chosen.
    slots = citizen.get(PATHS[5])
    booked = booking.start.astimezone(PARIS).isoformat()
    assert booked in slot_values(slots.text)
    assert checked_values(slots.text, "creneau") == [booked]
    # Continuing from step 1 leads to the recap, which says it confirms a modification.
    recap = choose_type(citizen, CCAS)
    assert recap.url.path == PATHS[6]
    assert "Confirmer la modification" in recap.text
    assert MODIFYING in visible(recap)


def test_the_old_slot_stays_booked_until_the_move_is_confirmed(citizen, settings):
    citizens = Citizens(citizen)
    with citizens.as_("owner") as owner:
        booking = book_one(owner, settings, slot_index=0)
        old_slot = booking.start.astimezone(PARIS).isoformat()
        start_modifying(owner, settings, booking)
        new_slot = slot_values(owner.get(PATHS[5]).text)[1]
        recap = owner.submit(PATHS[5], {"creneau": new_slot})
        assert recap.url.path == PATHS[6]
    assert snapshot(the_booking(settings, booking.id)) == snapshot(booking)
    with citizens.as_("other") as other:
        offered = slot_values(walk_to(other, 5)[0].text)
        assert old_slot not in offered  # still taken while the modification is pending
        assert new_slot not in offered  # held for the owner while they confirm

    with citizens.as_("owner") as owner:
        done = owner.submit(PATHS[6], {})
    assert done.url.path == PATHS[7]
    assert "Votre rendez-vous a été modifié" in visible(done)
    assert booking.reference in visible(done)
    assert f"Un e-mail avec le nouvel horaire est envoyé à {CONTACT['email']}" in visible(done)

    (moved,) = bookings(settings)
    assert moved.id == booking.id
    assert (moved.uid, moved.reference) == (booking.uid, booking.reference)
    assert moved.sequence == booking.sequence + 1
    assert moved.status == "confirmed"
    assert moved.start.astimezone(PARIS).isoformat() == new_slot
    assert moved.end - moved.start == booking.end - booking.start
    assert moved.created_at == booking.created_at
    with citizens.as_("other") as other:
        offered = slot_values(other.get(PATHS[5]).text)
        assert old_slot in offered  # freed by the move
        assert new_slot not in offered


def test_a_move_can_change_type_people_and_contact(citizen, settings):
    booking = book_one(citizen, settings)
    start_modifying(citizen, settings, booking)
    ids = type_ids(citizen.get(PATHS[1]).text)
    passport = "Carte d'identité / passeport"
    citizen.submit(PATHS[1], {"type_id": str(ids[passport])})
    citizen.submit(PATHS[2], {})
    contact_page = citizen.submit(PATHS[3], {"people": "2"})
    assert contact_page.url.path == PATHS[4]  # asked again for another type
    assert value_of(contact_page.text, "last_name") == CONTACT["last_name"]
    slots = citizen.submit(PATHS[4], {**CONTACT, "first_name": "Dominique"})
    slot = slot_values(slots.text)[0]
    citizen.submit(PATHS[5], {"creneau": slot})
    done = citizen.submit(PATHS[6], {})
    assert done.url.path == PATHS[7]
    (moved,) = bookings(settings)
    assert moved.type.title == passport
    assert moved.people == 2
    assert moved.first_name == "Dominique"
    assert moved.end - moved.start == timedelta(minutes=2 * moved.type.slot_minutes)
    assert moved.uid == booking.uid
    assert moved.sequence == 1


def test_abandoning_leaves_the_booking_and_its_links_untouched(citizen, settings):
    booking = book_one(citizen, settings)
    start_modifying(citizen, settings, booking)
    citizen.submit(PATHS[3], {"people": "1"})
    other_slot = slot_values(citizen.get(PATHS[5]).text)[2]
    citizen.submit(PATHS[5], {"creneau": other_slot})
    citizen.submit(PATHS[4], {**CONTACT, "last_name": "Autre"})
    # …and the citizen closes the tab.
    assert snapshot(the_booking(settings, booking.id)) == snapshot(booking)
    assert len(bookings(settings)) == 1
    # The emailed links still work.
    again = start_modifying(citizen, settings, booking)
    assert MODIFYING in visible(again)
    assert "Êtes-vous sûr" in visible(citizen.get(cancel_link(settings, booking)))


def test_a_replayed_confirmation_moves_once(citizen, settings):
    booking = book_one(citizen, settings)
    start_modifying(citizen, settings, booking)
    new_slot = slot_values(citizen.get(PATHS[5]).text)[1]
    citizen.submit(PATHS[5], {"creneau": new_slot})
    token = citizen.csrf(PATHS[6])
    for headers in ({}, {}, HX):
        response = citizen.client.post(
            PATHS[6], data={"_csrf_token": token}, headers=headers, follow_redirects=False
        )
        assert response.status_code == 303
        assert response.headers["location"] == PATHS[7]
    (moved,) = bookings(settings)
    assert moved.sequence == 1
    # The modification's draft now points at the booking it moved, its answers emptied.
    assert [d.booking_id for d in drafts(settings)].count(booking.id) == 2
    assert all(set(d.data) <= {"modifies"} for d in drafts(settings) if d.booking_id == booking.id)


def test_after_a_move_the_old_links_are_replaced_by_new_ones(citizen, settings):
    booking = book_one(citizen, settings)
    old_modify, old_cancel = modify_link(settings, booking), cancel_link(settings, booking)
    start_modifying(citizen, settings, booking)
    citizen.submit(PATHS[5], {"creneau": slot_values(citizen.get(PATHS[5]).text)[1]})
    citizen.submit(PATHS[6], {})
    moved = the_booking(settings, booking.id)

    for link in (old_modify, old_cancel):
        page = citizen.get(link)
        assert page.status_code == 410
        assert "Lien remplacé" in visible(page)
        assert "dernier e-mail" in visible(page)
    refused = post_choice(citizen, old_cancel, "annuler")
    assert "Lien remplacé" in visible(refused)
    assert the_booking(settings, moved.id).status == "confirmed"

    assert MODIFYING in visible(start_modifying(citizen, settings, moved))
    assert "Êtes-vous sûr" in visible(citizen.get(cancel_link(settings, moved)))


def test_a_slot_taken_meanwhile_keeps_the_old_booking(citizen, settings, clock):
    citizens = Citizens(citizen)
    with citizens.as_("owner") as owner:
        booking = book_one(owner, settings, slot_index=0)
        start_modifying(owner, settings, booking)
        wanted = slot_values(owner.get(PATHS[5]).text)[1]
        owner.submit(PATHS[5], {"creneau": wanted})
    clock.now += timedelta(minutes=11)  # the owner's hold on the wanted slot runs out
    with citizens.as_("other") as other:
        walk_to(other, 7, slot_index=0)  # the first free slot is the one the owner wants
    assert bookings(settings)[-1].start.astimezone(PARIS).isoformat() == wanted
    with citizens.as_("owner") as owner:
        back = owner.submit(PATHS[6], {})
    assert back.url.path == PATHS[5]
    assert "vient d'être pris" in visible(back)
    assert snapshot(the_booking(settings, booking.id)) == snapshot(booking)


def test_a_modification_of_a_booking_cancelled_meanwhile_is_refused(citizen, settings):
    booking = book_one(citizen, settings)
    start_modifying(citizen, settings, booking)
    citizen.submit(PATHS[5], {"creneau": slot_values(citizen.get(PATHS[5]).text)[1]})
    cancelled = post_choice(citizen, cancel_link(settings, booking), "annuler")
    assert "Rendez-vous annulé" in visible(cancelled)
    refused = citizen.submit(PATHS[6], {})
    assert refused.status_code == 410
    assert "déjà été annulé" in visible(refused)
    stored = the_booking(settings, booking.id)
    assert (stored.status, stored.start, stored.sequence) == ("cancelled", booking.start, 1)


def test_two_tabs_modifying_at_once_move_the_booking_once(citizen, settings):
    citizens = Citizens(citizen)
    with citizens.as_("owner") as owner:
        booking = book_one(owner, settings)
    chosen = {}
    for tab, index in (("tab1", 1), ("tab2", 2)):
        with citizens.as_(tab) as browser:
            start_modifying(browser, settings, booking)
            chosen[tab] = slot_values(browser.get(PATHS[5]).text)[index]
            browser.submit(PATHS[5], {"creneau": chosen[tab]})
    with citizens.as_("tab1") as browser:
        assert browser.submit(PATHS[6], {}).url.path == PATHS[7]
    with citizens.as_("tab2") as browser:
        late = browser.submit(PATHS[6], {})
    assert late.status_code == 410
    assert "Lien remplacé" in visible(late)
    (moved,) = bookings(settings)
    assert moved.start.astimezone(PARIS).isoformat() == chosen["tab1"]
    assert moved.sequence == 1


def test_links_for_a_past_appointment_are_refused(citizen, settings, clock):
    booking = book_one(citizen, settings)
    clock.now = booking.start + timedelta(minutes=1)
    page = citizen.get(modify_link(settings, booking))
    assert page.status_code == 410
    assert "Rendez-vous passé" in visible(page)
    assert len(drafts(settings)) == 1  # no modification started


def test_forged_and_wrong_purpose_modify_links_are_refused(citizen, settings):
    booking = book_one(citizen, settings)
    count = len(drafts(settings))
    forged = modify_link(replace(settings, secret_key="x" * 40), booking)
    wrong_purpose = "/rendez-vous/modifier/" + cancel_link(settings, booking).rsplit("/", 1)[1]
    for path in (
        forged,
        wrong_purpose,
        "/rendez-vous/modifier/abc",
        modify_link(settings, booking)[:-2],
    ):
        page = citizen.get(path)
        assert page.status_code == 404, path
        assert "Lien non valable" in visible(page)
        assert booking.reference not in page.text
    assert len(drafts(settings)) == count


def test_keeping_the_slot_and_changing_only_the_contact_moves_in_place(citizen, settings):
    # The booking's own place must not count against it when the slot is re-checked.
    booking = book_one(citizen, settings)
    start_modifying(citizen, settings, booking)
    citizen.submit(PATHS[4], {**CONTACT, "email": "nouvelle.adresse@example.org"})
    done = citizen.submit(PATHS[6], {})
    assert done.url.path == PATHS[7]
    (moved,) = bookings(settings)
    assert (moved.start, moved.desk_id) == (booking.start, booking.desk_id)
    assert moved.email == "nouvelle.adresse@example.org"
    assert moved.sequence == 1


def test_a_modification_confirmed_once_the_appointment_began_is_refused(citizen, settings, clock):
    # Booked when the first slot is two hours away, so that the modification's draft is
    # still alive when the appointment begins.
    clock.now = first_free().astimezone(UTC) - NOTICE
    booking = book_one(citizen, settings)
    assert booking.start == first_free()
    start_modifying(citizen, settings, booking)
    later_slot = slot_values(citizen.get(PATHS[5]).text)[-1]
    citizen.submit(PATHS[5], {"creneau": later_slot})
    clock.now = booking.start + timedelta(minutes=5)
    refused = citizen.submit(PATHS[6], {})
    assert refused.status_code == 410
    assert "Rendez-vous passé" in visible(refused)
    assert snapshot(the_booking(settings, booking.id)) == snapshot(booking)


NEW_INSTEAD = "/rendez-vous/nouveau"


def test_a_modification_can_be_left_for_a_new_booking(citizen, settings):
    """Issue 13: a parent opened the « Modifier » link of their first child's booking, then
    comes back to the site for the second child. The page says a modification is under way
    and offers to take another appointment instead; doing so leaves the booking as it was
    and books a second one."""
    first = book_one(citizen, settings)
    citizen.client.cookies.clear()
    start_modifying(citizen, settings, first)
    held = slot_values(citizen.get(PATHS[5]).text)[1]
    citizen.submit(PATHS[5], {"creneau": held})  # a hold for the modification
    home = citizen.get("/")
    assert home.url.path == PATHS[1]
    assert MODIFYING in visible(home) and first.reference in visible(home)
    assert f'action="{NEW_INSTEAD}"' in home.text
    assert "Prendre un autre rendez-vous" in visible(home)
    for headers, notice in ((HX, True), ({}, False)):  # again: nothing left to leave
        left = citizen.client.post(
            NEW_INSTEAD,
            data={"_csrf_token": citizen.csrf(PATHS[1])},
            headers=headers,
            follow_redirects=True,
        )
        assert left.status_code == 200 and left.url.path == PATHS[1]
        assert MODIFYING not in visible(left)
        assert checked_values(left.text, "type_id") == []
        assert ("Votre rendez-vous déjà pris ne change pas" in visible(left)) is notice
    assert all("modifies" not in draft.data for draft in drafts(settings))
    assert held in slot_values(walk_to(citizen, 5, contact=SECOND_CHILD)[0].text)  # released

    second = book_at_first_offered(citizen)
    assert second.url.path == PATHS[7]
    assert "Bravo" in visible(second)
    old, new = bookings(settings)
    assert snapshot(old) == snapshot(first)
    assert new.id != first.id and new.first_name == "Lou"


def test_the_recap_of_a_modification_says_what_it_replaces(citizen, settings):
    booking = book_one(citizen, settings)
    start_modifying(citizen, settings, booking)
    recap = citizen.get(PATHS[6])
    when = f"{french_date(booking.start)} à {french_time(booking.start)}"
    assert (
        f"En confirmant, votre rendez-vous du {when} (référence {booking.reference}) est "
        "remplacé par celui-ci." in visible(recap).replace("\u00a0", " ").replace(" )", ")")
    )
    assert f'action="{NEW_INSTEAD}"' in recap.text


def test_leaving_needs_the_csrf_token_and_changes_nothing_without_it(citizen, settings):
    booking = book_one(citizen, settings)
    start_modifying(citizen, settings, booking)
    refused = citizen.client.post(NEW_INSTEAD, data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert MODIFYING in visible(citizen.get(PATHS[1]))
