"""What a push notification says: short, in French, without the citizen's name."""

from __future__ import annotations

from dataclasses import dataclass

from app.notifications.facts import BookingFacts

TITLES = {
    "booking_confirmed": "Rendez-vous confirmé",
    "booking_moved": "Rendez-vous déplacé par la mairie",
    "booking_cancelled": "Rendez-vous annulé par la mairie",
    "reminder": "Rappel : rendez-vous demain",
}


@dataclass(frozen=True)
class PushText:
    title: str
    body: str
    url: str


def push_text(kind: str, facts: BookingFacts) -> PushText:
    when = f"{facts.day} à {facts.start_time}"
    place = facts.site_name
    if kind == "booking_cancelled":
        body = f"{facts.type_title}, {when} : ce rendez-vous est annulé."
    elif kind == "booking_moved":
        body = f"{facts.type_title} : nouvel horaire le {when}, {place}."
    else:
        body = f"{facts.type_title}, le {when}, {place}."
    return PushText(TITLES[kind], f"{body} Référence {facts.reference}.", "/mes-rendez-vous")
