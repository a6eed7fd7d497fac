"""Step 5 when the slot a citizen picks was taken since their week was drawn (decision 69):
with htmx, a small answer marks that slot taken and says so, the rest of the week stays on
screen; without JavaScript, the whole page again, on the same week."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select

from app.db.models import SlotHold
from tests.conftest import FIXED_NOW
from tests.days import (
    PARIS,
    first_free,
    french_date,
    french_time,
    french_week,
    monday_of,
    next_free,
)
from tests.integration.flow import CONTACT, slot_values
from tests.integration.helpers import (
    HX,
    PATHS,
    Citizens,
    assert_fragment,
    assert_full_page,
    drafts,
    error_summary,
    fetch,
    summary_targets_exist,
    text_of,
    walk_to,
)

# A week that is not the one step 5 opens on (that is the first free slot's): keeping it is
# then something the server does, not a coincidence.
FIRST = first_free()
WEEK = monday_of(FIRST.astimezone(PARIS).date()) + timedelta(days=14)
TAKEN, NEIGHBOUR = next_free(2, after=datetime.combine(WEEK, datetime.min.time(), PARIS))
GONE = "Ce créneau n'est plus disponible. Choisissez-en un autre."


def holds(settings) -> list[SlotHold]:
    return fetch(settings, select(SlotHold))


def someone(n: int) -> dict[str, str]:
    return {**CONTACT, "first_name": f"Personne{n}", "email": f"personne{n}@example.org"}


def week_page(person) -> str:
    return person.get(f"{PATHS[5]}?semaine={WEEK.isoformat()}").text


def taken_meanwhile(citizen) -> tuple[Citizens, str]:
    """`late` has the week of TAKEN on screen (TAKEN offered), then `quick` holds TAKEN:
    the citizens, and the page `late` still has on screen."""
    citizens = Citizens(citizen)
    with citizens.as_("late") as person:
        walk_to(person, 5, contact=someone(1))
        page = week_page(person)
        assert TAKEN.isoformat() in slot_values(page)
    with citizens.as_("quick") as person:
        walk_to(person, 5, contact=someone(2))
        recap = person.submit(PATHS[5], {"creneau": TAKEN.isoformat()})
        assert recap.url.path == PATHS[6]
    return citizens, page


def pick(person, slot: datetime, *, htmx: bool, week: str | None = WEEK.isoformat()):
    form = {"creneau": slot.isoformat()}
    if week is not None:
        form["semaine"] = week
    return person.submit(PATHS[5], form, htmx=htmx, follow=False)


def test_a_pick_refused_with_htmx_answers_only_the_slot_and_a_message(citizen):
    citizens, page = taken_meanwhile(citizen)
    with citizens.as_("late") as person:
        response = pick(person, TAKEN, htmx=True)

    assert response.status_code == 422  # swapped, like every other refusal (htmx-config)
    body = response.text
    # Not the step again: no layout, no step frame, no week, no other slot.
    assert "<html" not in body and "<title>" not in body
    assert 'id="etape"' not in body and "Semaine du" not in body
    assert slot_values(body) == []  # nothing in it can be chosen
    assert "HX-Request" in response.headers["vary"]
    # The message, in French, replaces the empty placeholder of the form's bar.
    assert response.headers["HX-Retarget"] == "#creneau-refus"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert 'id="creneau-refus"' in page
    assert (
        f"Le créneau du {french_date(TAKEN)} à {french_time(TAKEN)} vient d'être pris. "
        "Choisissez-en un autre."
    ) in text_of(body)
    # The slot, out of band, on the id it has in the citizen's page: shown taken, disabled.
    key = int(TAKEN.timestamp())
    assert f'<li class="horaire" id="horaire-{key}">' in page
    taken_item = rf'<li class="horaire horaire--pris" id="horaire-{key}"[^>]*>.*?</li>'
    item = re.search(taken_item, body, re.S)
    assert item, body
    assert 'hx-swap-oob="outerHTML"' in item.group(0)
    assert re.search(r"<input [^>]*\bdisabled\b", item.group(0))
    assert text_of(item.group(0)) == f"{french_time(TAKEN)} pris"
    assert f'data-horaire="horaire-{key}"' in body  # where creneau.js puts the focus next to


def test_a_pick_refused_without_javascript_shows_the_whole_page_on_the_same_week(citizen):
    citizens, _ = taken_meanwhile(citizen)
    with citizens.as_("late") as person:
        response = pick(person, TAKEN, htmx=False)
    assert response.status_code == 422
    assert_full_page(response)
    text = text_of(response.text)
    assert french_week(WEEK) in text  # the week the citizen was on, not the first one
    assert GONE in text_of(error_summary(response.text))
    summary_targets_exist(response.text)
    offered = slot_values(response.text)
    assert TAKEN.isoformat() not in offered
    assert NEIGHBOUR.isoformat() in offered


def test_no_slot_chosen_keeps_the_week_shown(citizen):
    walk_to(citizen, 5)
    for htmx in (False, True):
        token = citizen.csrf(f"{PATHS[5]}?semaine={WEEK.isoformat()}")
        response = citizen.client.post(
            PATHS[5],
            data={"_csrf_token": token, "semaine": WEEK.isoformat()},
            headers=HX if htmx else {},
        )
        assert response.status_code == 422
        (assert_fragment if htmx else assert_full_page)(response)
        assert french_week(WEEK) in text_of(response.text)
        assert "Choisissez un créneau dans la liste." in text_of(response.text)


def test_a_refusal_from_the_recap_or_too_late_gets_the_whole_step(citizen):
    """The recap's "keep it longer" form posts the slot without a week (its page has no
    slots to mark), and a slot now inside the notice may not be the only one: both get the
    step's block, with htmx too."""
    citizens, _ = taken_meanwhile(citizen)
    with citizens.as_("late") as person:
        from_recap = pick(person, TAKEN, htmx=True, week=None)
    assert from_recap.status_code == 422
    assert_fragment(from_recap)
    assert GONE in text_of(from_recap.text)
    assert "HX-Retarget" not in from_recap.headers

    soon = FIXED_NOW + timedelta(minutes=30)  # inside the two hours' notice
    with citizens.as_("late") as person:
        week = monday_of(soon.astimezone(PARIS).date()).isoformat()
        too_late = pick(person, soon, htmx=True, week=week)
    assert too_late.status_code == 422
    assert_fragment(too_late)
    assert "HX-Retarget" not in too_late.headers


def test_a_start_off_the_grid_is_refused_and_nothing_is_held(citizen, settings):
    """Only a start the engine offers may be held: a slot's start a microsecond later (a
    forged or altered form) is refused like a slot no longer free, with or without htmx,
    on the week it falls in, and the recap stays out of reach."""
    walk_to(citizen, 5)
    assert TAKEN.isoformat() in week_page(citizen)
    forged = TAKEN + timedelta(microseconds=1)
    for htmx in (False, True):
        response = pick(citizen, forged, htmx=htmx)
        assert response.status_code == 422
        (assert_fragment if htmx else assert_full_page)(response)
        text = text_of(response.text)
        assert GONE in text_of(error_summary(response.text))
        assert french_week(WEEK) in text
        assert TAKEN.isoformat() in slot_values(response.text)  # the real slot still free
        assert "horaire--pris" not in response.text
    assert all("slot_start" not in draft.data for draft in drafts(settings))
    assert holds(settings) == []
    recap = citizen.get(PATHS[6], follow_redirects=False)
    assert recap.status_code == 303 and recap.headers["location"] == PATHS[5]
    # The slot itself, as offered, is taken as usual.
    assert pick(citizen, TAKEN, htmx=False).headers["location"] == PATHS[6]
    (hold,) = holds(settings)
    assert hold.start == TAKEN
