"""A range of local days typed into a form (`<input type="date">`), checked in French."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MAX_DAYS = 366
# Days far outside these years overflow when turned into instants (and mean a typo).
FIRST_YEAR, LAST_YEAR = 1900, 2999


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


class PeriodError(ValueError):
    """Bad input: `errors` maps the field name to a French message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


# What a browser without a date picker lets people type, as the hints ask (jj/mm/aaaa).
FRENCH_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _parse_day(text: str) -> date | None:
    text = text.strip()
    try:
        if match := FRENCH_DAY.match(text):
            day_of_month, month, year = (int(part) for part in match.groups())
            day = date(year, month, day_of_month)
        else:
            day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def parse_period(first: str, last: str, *, max_days: int = MAX_DAYS) -> Period:
    errors: dict[str, str] = {}
    first_day, last_day = _parse_day(first or ""), _parse_day(last or "")
    if not (first or "").strip():
        errors["du"] = "Indiquez le premier jour de la période."
    elif first_day is None:
        errors["du"] = "Le premier jour n'est pas une date valide (jj/mm/aaaa)."
    if not (last or "").strip():
        errors["au"] = "Indiquez le dernier jour de la période."
    elif last_day is None:
        errors["au"] = "Le dernier jour n'est pas une date valide (jj/mm/aaaa)."
    if first_day and last_day:
        if last_day < first_day:
            errors["au"] = "Le dernier jour doit être le même que le premier ou après lui."
        elif (last_day - first_day).days + 1 > max_days:
            errors["au"] = f"La période ne peut pas dépasser {max_days} jours."
    if errors:
        raise PeriodError(errors)
    assert first_day and last_day
    return Period(first_day, last_day)


def last_weeks(today: date, weeks: int = 12) -> Period:
    """The `weeks` whole weeks (Monday to Sunday) ending with the current one."""
    monday = today - timedelta(days=today.weekday())
    return Period(monday - timedelta(weeks=weeks - 1), monday + timedelta(days=6))
