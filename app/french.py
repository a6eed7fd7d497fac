"""Dates and times as French readers write them (no locale is installed on the machine):
pages, e-mails, SMS and reports all speak this way."""

from __future__ import annotations

from datetime import date, datetime

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def long_date(value: date | datetime) -> str:
    """ "mardi 1er décembre 2026"."""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{WEEKDAYS[value.weekday()]} {day} {MONTHS[value.month - 1]} {value.year}"


def short_date(value: date | datetime) -> str:
    """ "1er déc." style is ambiguous for screen readers; "1 décembre" is used instead."""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]}"


def time_of_day(value: datetime) -> str:
    """ "8 h 30", the French typographic convention; "14 h" on the hour."""
    nbsp = "\u00a0"  # "9 h 30" never breaks across lines
    return (
        f"{value.hour}{nbsp}h{nbsp}{value.minute:02d}" if value.minute else f"{value.hour}{nbsp}h"
    )
