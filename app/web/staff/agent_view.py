"""What the agents' pages share: reading their query parameters, the French words for a
booking's state, and the messages of refused actions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from app.booking.attendance import ATTENDED, NO_SHOW, AttendanceRefusal
from app.booking.changes import StaffRefusal
from app.booking.limits import LimitReached
from app.french import long_date, time_of_day

STATUS_LABELS = {"confirmed": "Confirmé", "cancelled": "Annulé"}
ATTENDANCE_LABELS = {ATTENDED: "Venu", NO_SHOW: "Absent"}
# The attendance form's values (the page's words, not the database's).
ATTENDANCE_CHOICES = {"venu": ATTENDED, "absent": NO_SHOW, "effacer": None}

REFUSALS = {
    StaffRefusal.CANCELLED: "Ce rendez-vous est annulé : il ne peut plus être modifié.",
    StaffRefusal.BEGUN: (
        "Ce rendez-vous a commencé ou est passé : il ne peut plus être déplacé ni annulé."
    ),
    StaffRefusal.CHANGED: (
        "Ce rendez-vous a été modifié entre-temps (par la personne ou par un autre agent). "
        "Vérifiez-le ci-dessous avant de recommencer."
    ),
    StaffRefusal.SAME_SLOT: "Le rendez-vous est déjà à cet horaire. Choisissez un autre créneau.",
}
ATTENDANCE_REFUSALS = {
    AttendanceRefusal.CANCELLED: "Ce rendez-vous est annulé : sa présence ne se note pas.",
    AttendanceRefusal.NOT_STARTED: (
        "La présence se note une fois le rendez-vous commencé. Revenez à l'heure du rendez-vous."
    ),
}
SLOT_TAKEN = "Ce créneau n'est plus libre. Choisissez-en un autre parmi ceux qui restent."
SLOT_TOO_LATE = (
    "Ce créneau est maintenant trop proche pour être réservé (délai minimum du type de "
    "rendez-vous). Choisissez-en un autre."
)
NO_SLOT = "Choisissez un créneau dans la liste."


def parse_day(raw: str | None) -> date | None:
    try:
        value = date.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    return value if 1 < value.year < 9999 else None


def parse_int(raw: Any) -> int | None:
    try:
        return int(str(raw or "").strip())
    except ValueError:
        return None


def parse_instant(raw: str | None) -> datetime | None:
    try:
        value = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    if value.tzinfo is None or not 1 < value.year < 9999:
        return None
    return value


def limit_text(limit: LimitReached, tz: Any) -> str:
    until = limit.until.astimezone(tz)
    return (
        f"Cette personne a déjà {limit.active} rendez-vous de ce type en cours (au plus "
        f"{limit.allowed}). Elle pourra en prendre un autre à partir du {long_date(until)} "
        f"à {time_of_day(until)}."
    )


def no_email_hint(email: str) -> str:
    return (
        ""
        if email
        else " Cette personne n'a pas donné d'adresse électronique : prévenez-la par téléphone."
    )
