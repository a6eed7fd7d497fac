"""Step 5's week is computed once and shared for a moment by the citizens who hold nothing
(decision 74): in a rush, the crowd arriving on the same week costs one computation, not
one per person. What it shows may be that moment old; taking a slot is re-checked."""

from __future__ import annotations

from datetime import datetime

from app.booking.shared_weeks import SharedWeeks
from tests.days import PARIS, monday_of
from tests.integration.flow import CONTACT, slot_values
from tests.integration.helpers import HX, PATHS, Citizens, text_of, walk_to


def someone(n: int) -> dict[str, str]:
    return {**CONTACT, "first_name": f"Personne{n}", "email": f"personne{n}@example.org"}


def test_the_week_is_shared_for_a_moment_and_a_taken_slot_is_still_refused(app, citizen):
    seconds = [0.0]  # the shared week's own clock, moved by the test
    app.state.shared_weeks = SharedWeeks(1.0, clock=lambda: seconds[0])
    citizens = Citizens(citizen)

    with citizens.as_("first") as person:
        page = walk_to(person, 5, contact=someone(1))[0].text
        first = slot_values(page)[0]
    with citizens.as_("quick") as person:
        walk_to(person, 5, contact=someone(2))
        recap = person.submit(PATHS[5], {"creneau": first})
        assert recap.url.path == PATHS[6]
        # Who holds a slot sees a week of their own: their slot, chosen.
        own = person.get(PATHS[5]).text
        assert first in slot_values(own)

    seconds[0] = 0.5  # within the moment: the shared week still offers it…
    with citizens.as_("late") as person:
        page = walk_to(person, 5, contact=someone(3))[0].text
        assert first in slot_values(page)
        week = monday_of(datetime.fromisoformat(first).astimezone(PARIS).date()).isoformat()
        refused = person.submit(PATHS[5], {"creneau": first, "semaine": week}, htmx=True)
        # … but taking it is refused, with the small answer.
        assert refused.status_code == 422
        assert "vient d'être pris" in text_of(refused.text)
        assert refused.headers.get("HX-Retarget")

    seconds[0] = 1.0  # the moment is over: the next page is computed again
    with citizens.as_("next") as person:
        page = walk_to(person, 5, contact=someone(4))[0].text
        assert first not in slot_values(page)


def test_without_sharing_every_page_sees_the_slot_go_at_once(app, citizen):
    app.state.shared_weeks = None  # CRENEAU_SHARED_WEEK_SECONDS=0
    citizens = Citizens(citizen)
    with citizens.as_("first") as person:
        first = slot_values(walk_to(person, 5, contact=someone(1))[0].text)[0]
        assert person.submit(PATHS[5], {"creneau": first}).url.path == PATHS[6]
    with citizens.as_("second") as person:
        assert first not in slot_values(walk_to(person, 5, contact=someone(2))[0].text)
    assert HX  # the htmx header the first test sends
