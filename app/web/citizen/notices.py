"""Messages about the citizen's own bookings that several steps show."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from app.booking.limits import LimitReached
from app.french import long_date, time_of_day


def limit_message(limit: LimitReached, tz: ZoneInfo) -> str:
    again = limit.until.astimezone(tz)
    already = (
        "un rendez-vous de ce type en cours"
        if limit.active == 1
        else f"{limit.active} rendez-vous de ce type en cours"
    )
    return (
        f"Vous avez déjà {already} (avec cette adresse électronique ou ce numéro de "
        f"téléphone), le maximum permis en ligne. Vous pourrez en prendre un nouveau à partir "
        f"du {long_date(again)} à {time_of_day(again)}, ou dès que vous aurez annulé l'un d'eux."
    )


def too_many_holds_message(allowed: int) -> str:
    already = "un créneau retenu" if allowed == 1 else f"{allowed} créneaux retenus"
    return (
        f"Votre connexion a déjà {already} dans d'autres réservations en cours, le maximum "
        "permis. Confirmez-les ou laissez-les expirer (quelques minutes) avant de choisir "
        "ce créneau."
    )
