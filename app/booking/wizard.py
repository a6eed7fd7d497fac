"""The seven steps of the citizen flow, as data: which step comes next and which is due.

The wizard's state is a plain dict kept server-side in a draft (see `drafts.py`); this
module only decides, it stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    number: int
    slug: str  # the URL segment
    title: str  # the heading, also announced to screen readers

    @property
    def path(self) -> str:
        return f"/rendez-vous/{self.slug}"


STEPS: tuple[Step, ...] = (
    Step(1, "type", "Choisir le type de rendez-vous"),
    Step(2, "informations", "Informations sur le rendez-vous"),
    Step(3, "personnes", "Nombre de personnes concernées"),
    Step(4, "coordonnees", "Vos coordonnées"),
    Step(5, "creneau", "Choisir la date et l'heure"),
    Step(6, "recapitulatif", "Vérifier et confirmer"),
    Step(7, "confirmation", "Rendez-vous confirmé"),
)
TOTAL = len(STEPS)


def step(number: int) -> Step:
    return STEPS[number - 1]


def is_completed(number: int, state: dict[str, Any]) -> bool:
    """Whether the answer of step `number` is present in the state."""
    checks: dict[int, Callable[[dict[str, Any]], bool]] = {
        1: lambda s: bool(s.get("type_id")),
        2: lambda s: bool(s.get("info_seen")),
        3: lambda s: bool(s.get("people")),
        # Contact details are asked again when the type changed (its extra fields may differ).
        4: lambda s: bool(s.get("contact")) and s.get("contact_type_id") == s.get("type_id"),
        5: lambda s: bool(s.get("slot_start")),
        6: lambda s: False,
        7: lambda s: False,
    }
    return checks[number](state)


def first_due_step(state: dict[str, Any]) -> Step:
    """The earliest step still waiting for an answer (the recap once everything is given)."""
    for candidate in STEPS[:-2]:
        if not is_completed(candidate.number, state):
            return candidate
    return step(6)


def reachable(number: int, state: dict[str, Any]) -> bool:
    """A step can be shown once every step before it has its answer."""
    return number <= first_due_step(state).number


def choose_type(state: dict[str, Any], type_id: int, max_people: int) -> dict[str, Any]:
    """A new type keeps the contact details (to pre-fill the form) but not what depended on
    the old type."""
    new = dict(state)
    if state.get("type_id") != type_id:
        new.update(type_id=type_id, info_seen=False)
        drop_slot(new)
        if new.get("people", 0) > max_people:
            new.pop("people", None)
    return new


def set_contact(state: dict[str, Any], contact: dict[str, Any]) -> dict[str, Any]:
    return dict(state, contact=contact, contact_type_id=state.get("type_id"))


def set_people(state: dict[str, Any], people: int) -> dict[str, Any]:
    new = dict(state, people=people)
    if state.get("people") != people:
        drop_slot(new)  # the duration or the places needed have changed
    return new


def drop_slot(state: dict[str, Any]) -> dict[str, Any]:
    """Forgets the chosen slot and its hold (the draft store then releases the hold)."""
    state.pop("slot_start", None)
    state.pop("hold_until", None)
    return state
