"""Opening rules: added, changed, deleted — and bookings a change would leave outside the
new hours are listed, then kept or cancelled as the administrator decides."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from app.db.models import OpeningRule, OutboxMessage, Site
from tests.days import MONDAY, SUNDAY, open_day, slot
from tests.integration.changes_helpers import book_at, offered_in_week
from tests.integration.config_helpers import admin, audit_actions, post_form, summary_messages
from tests.integration.flow import walk_to_slots
from tests.integration.helpers import bookings, fetch, text_of

BASE = "/admin/configuration/horaires"
DAY = open_day(MONDAY)  # an open Monday ahead


def book_monday_10h(citizen, settings) -> None:
    """A CCAS booking at 10:00 on that Monday, inside the Monday 8:30–12:00 rule."""
    book_at(citizen, settings, slot(DAY, 10, 0))


def social_site(settings) -> Site:
    return fetch(settings, select(Site).order_by(Site.id))[1]


def monday_morning(settings) -> OpeningRule:
    """The CCAS's Monday 8:30–12:00, where `book_monday_10h` books."""
    site = social_site(settings)
    return fetch(
        settings,
        select(OpeningRule).where(
            OpeningRule.site_id == site.id,
            OpeningRule.weekday == 0,
            OpeningRule.start == time(8, 30),
        ),
    )[0]


def rule_form(rule: OpeningRule, **changes: str) -> dict[str, str]:
    form = {
        "site_id": str(rule.site_id),
        "type_id": "",
        "desk_id": "",
        "weekday": str(rule.weekday),
        "start": rule.start.strftime("%H:%M"),
        "end": rule.end.strftime("%H:%M"),
        "valid_from": "",
        "valid_until": "",
        "every_n_weeks": "1",
    }
    form.update(changes)
    return form


def test_deleting_hours_with_a_booking_asks_and_keeping_it_changes_no_booking(
    client, settings, citizen
):
    book_monday_10h(citizen, settings)
    booking = bookings(settings)[0]
    rule = monday_morning(settings)
    admin(client, settings)

    asked = post_form(client, f"{BASE}/{rule.id}/suppression", {}, form_path=BASE)
    assert asked.status_code == 409
    page = text_of(asked.text)
    assert "Des rendez-vous seraient hors des horaires" in page
    assert booking.reference in page and "Camille Dupont" in page
    assert fetch(settings, select(OpeningRule).where(OpeningRule.id == rule.id))  # not yet

    kept = post_form(
        client,
        f"{BASE}/{rule.id}/suppression",
        {"decision": "garder", "orphelins": str(booking.id)},
        form_path=BASE,
    )
    assert kept.status_code == 303
    assert "1 rendez-vous est gardé" in text_of(client.get(kept.headers["location"]).text)
    assert not fetch(settings, select(OpeningRule).where(OpeningRule.id == rule.id))
    assert [b.status for b in bookings(settings)] == ["confirmed"]
    assert audit_actions(settings)[-1] == "opening_rule.deleted"


def test_shortening_hours_can_cancel_the_bookings_left_outside_with_the_citizen_told(
    client, settings, citizen
):
    book_monday_10h(citizen, settings)
    booking = bookings(settings)[0]
    rule = monday_morning(settings)
    admin(client, settings)
    form = rule_form(rule, end="09:00")  # the booking at 10:00 falls outside

    asked = post_form(client, f"{BASE}/{rule.id}", form, form_path=f"{BASE}/{rule.id}")
    assert asked.status_code == 409
    assert booking.reference in asked.text
    assert 'name="end" value="09:00"' in asked.text  # the change is carried to the decision

    done = post_form(
        client,
        f"{BASE}/{rule.id}",
        {**form, "decision": "annuler", "orphelins": str(booking.id)},
        form_path=BASE,
    )
    assert done.status_code == 303
    assert "les citoyens sont prévenus" in text_of(client.get(done.headers["location"]).text)
    assert fetch(settings, select(OpeningRule.end).where(OpeningRule.id == rule.id)) == [time(9)]
    cancelled = bookings(settings)[0]
    assert cancelled.status == "cancelled" and cancelled.sequence == 1
    kinds = fetch(
        settings,
        select(OutboxMessage.kind).where(
            OutboxMessage.booking_id == booking.id, OutboxMessage.channel == "email"
        ),
    )
    assert kinds == ["booking_confirmed", "booking_cancelled"]


def test_a_decision_about_other_bookings_than_those_now_concerned_is_asked_again(
    client, settings, citizen
):
    book_monday_10h(citizen, settings)
    booking = bookings(settings)[0]
    rule = monday_morning(settings)
    admin(client, settings)
    stale = post_form(
        client,
        f"{BASE}/{rule.id}/suppression",
        {"decision": "annuler", "orphelins": ""},  # decided when nothing was listed
        form_path=BASE,
    )
    assert stale.status_code == 409
    assert booking.reference in stale.text
    assert [b.status for b in bookings(settings)] == ["confirmed"]


def test_a_change_that_leaves_no_booking_outside_applies_at_once(client, settings):
    rule = monday_morning(settings)
    admin(client, settings)
    answer = post_form(client, f"{BASE}/{rule.id}", rule_form(rule, start="08:00"), form_path=BASE)
    assert answer.status_code == 303
    assert fetch(settings, select(OpeningRule.start).where(OpeningRule.id == rule.id)) == [time(8)]
    assert audit_actions(settings)[-1] == "opening_rule.updated"


def test_invalid_rules_change_nothing(client, settings):
    rule = monday_morning(settings)
    admin(client, settings)
    count = len(fetch(settings, select(OpeningRule)))
    answer = post_form(
        client,
        f"{BASE}/nouveau",
        rule_form(rule, start="14:00", end="13:00", every_n_weeks="2", valid_until="demain"),
    )
    assert answer.status_code == 422
    messages = summary_messages(answer.text)
    assert "L'heure de fin doit suivre l'heure de début (00:00 = minuit)." in messages
    assert any("date valide" in m for m in messages)
    assert any("semaine de cette date" in m for m in messages)
    assert 'value="14:00"' in answer.text
    assert len(fetch(settings, select(OpeningRule))) == count


def test_an_end_at_24_00_is_midnight_as_the_list_shows_it(client, settings):
    rule = monday_morning(settings)
    admin(client, settings)
    answer = post_form(
        client, f"{BASE}/nouveau", rule_form(rule, weekday="6", start="22:00", end="24:00")
    )
    assert answer.status_code == 303
    stored = fetch(settings, select(OpeningRule.end).where(OpeningRule.start == time(22)))
    assert stored == [time(0)]
    assert "22:00 – 24:00" in text_of(client.get(BASE).text)


def test_a_new_rule_opens_new_slots(client, settings, citizen):
    site = social_site(settings)
    sunday = open_day(SUNDAY)  # a Sunday ahead that is no public holiday
    walk_to_slots(citizen)
    before = offered_in_week(citizen, sunday)
    admin(client, settings)
    answer = post_form(
        client,
        f"{BASE}/nouveau",
        {
            "site_id": str(site.id),
            "type_id": "",
            "desk_id": "",
            "weekday": "6",  # Sunday
            "start": "09:00",
            "end": "12:00",
            "valid_from": "",
            "valid_until": "",
            "every_n_weeks": "1",
        },
    )
    assert answer.status_code == 303
    assert "opening_rule.created" in audit_actions(settings)
    walk_to_slots(citizen)
    after = offered_in_week(citizen, sunday)
    assert len(after) > len(before)
    assert slot(sunday, 9, 0) in after and slot(sunday, 9, 0) not in before
