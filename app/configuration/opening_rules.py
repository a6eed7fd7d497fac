"""Opening rules as administrators write them, and what a change does to bookings already
taken: a rule deleted or shortened may leave confirmed bookings outside the new hours. They
are listed and the administrator decides — keep them as exceptions, or cancel them with
the citizens notified. A booking is never dropped silently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.booking.availability import WeeklyOpening, opening_covers
from app.configuration.cancellations import Decision, cancel_for_configuration
from app.configuration.fields import Errors, integer, one_line
from app.db.models import AppointmentType, Booking, Desk, OpeningRule, Site
from app.settings import Settings
from app.staff.audit import record

WEEKDAYS = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")
FIELDS = (
    "site_id", "type_id", "desk_id", "weekday", "start", "end", "valid_from", "valid_until",
    "every_n_weeks",
)  # fmt: skip


@dataclass(frozen=True)
class RuleValues:
    site_id: int
    type_id: int | None
    desk_id: int | None
    weekday: int
    start: time
    end: time
    valid_from: date | None
    valid_until: date | None
    every_n_weeks: int


@dataclass(frozen=True)
class NeedsDecision:
    """Nothing changed: these bookings would end up outside opening hours."""

    orphans: list[Booking]


@dataclass(frozen=True)
class Applied:
    kept: list[str]  # references
    cancelled: list[str]


def blank_values(site_id: int | None = None) -> dict[str, str]:
    values = dict.fromkeys(FIELDS, "")
    values.update(site_id=str(site_id or ""), weekday="0", every_n_weeks="1")
    return values


def values_of(rule: OpeningRule) -> dict[str, str]:
    return {
        "site_id": str(rule.site_id),
        "type_id": str(rule.type_id or ""),
        "desk_id": str(rule.desk_id or ""),
        "weekday": str(rule.weekday),
        "start": rule.start.strftime("%H:%M"),
        "end": rule.end.strftime("%H:%M"),
        "valid_from": rule.valid_from.isoformat() if rule.valid_from else "",
        "valid_until": rule.valid_until.isoformat() if rule.valid_until else "",
        "every_n_weeks": str(rule.every_n_weeks),
    }


def _time(errors: Errors, values: dict[str, str], name: str, label: str) -> time | None:
    raw = values[name].replace("h", ":").replace("H", ":")
    if not raw:
        errors.add(name, f"Saisissez l'heure de {label}, par exemple 08:30.")
        return None
    if raw.endswith(":"):
        raw += "00"
    try:
        hours, minutes = (int(part) for part in raw.split(":"))
        if name == "end" and (hours, minutes) == (24, 0):
            return time(0)  # the list shows a midnight end as 24:00
        return time(hours, minutes)
    except ValueError:
        errors.add(name, f"Saisissez l'heure de {label} au format HH:MM, par exemple 08:30.")
        return None


def _date(errors: Errors, values: dict[str, str], name: str) -> date | None:
    if not values[name]:
        return None
    try:
        return date.fromisoformat(values[name])
    except ValueError:
        errors.add(name, "Saisissez une date valide au format AAAA-MM-JJ, par exemple 2027-01-04.")
        return None


def parse(
    form: dict[str, str], sites: list[Site], types: list[AppointmentType]
) -> tuple[RuleValues | None, Errors, dict[str, str]]:
    """Checks a submitted rule. `sites` come with their desks."""
    values = {name: one_line(form.get(name, "")) for name in FIELDS}
    errors = Errors()
    site = next((s for s in sites if str(s.id) == values["site_id"]), None)
    if site is None:
        errors.add("site_id", "Choisissez le lieu concerné.")
    appointment_type = None
    if values["type_id"]:
        appointment_type = next((t for t in types if str(t.id) == values["type_id"]), None)
        if appointment_type is None or (site and appointment_type.site_id != site.id):
            errors.add("type_id", "Choisissez un type de rendez-vous de ce lieu, ou « tous ».")
    desk = None
    if values["desk_id"]:
        desk = next((d for s in sites for d in s.desks if str(d.id) == values["desk_id"]), None)
        if desk is None or (site and desk.site_id != site.id):
            errors.add("desk_id", "Choisissez un guichet de ce lieu, ou « tous ».")
    weekday = values["weekday"]
    if weekday not in {str(n) for n in range(7)}:
        errors.add("weekday", "Choisissez le jour de la semaine.")
    start = _time(errors, values, "start", "début")
    end = _time(errors, values, "end", "fin")
    if start and end is not None and end != time(0) and end <= start:
        errors.add("end", "L'heure de fin doit suivre l'heure de début (00:00 = minuit).")
    valid_from = _date(errors, values, "valid_from")
    valid_until = _date(errors, values, "valid_until")
    if valid_from and valid_until and valid_until < valid_from:
        errors.add("valid_until", "La date de fin doit suivre la date de début.")
    every = integer(
        errors,
        values,
        "every_n_weeks",
        "la fréquence (toutes les N semaines)",
        minimum=1,
        maximum=8,
    )
    if every > 1 and valid_from is None:
        errors.add(
            "valid_from",
            "Indiquez la date de début : une semaine sur deux (ou plus) se compte à partir "
            "de la semaine de cette date.",
        )
    if errors or site is None or start is None or end is None:
        return None, errors, values
    return (
        RuleValues(
            site_id=site.id,
            type_id=appointment_type.id if appointment_type else None,
            desk_id=desk.id if desk else None,
            weekday=int(weekday),
            start=start,
            end=end,
            valid_from=valid_from,
            valid_until=valid_until,
            every_n_weeks=every,
        ),
        errors,
        values,
    )


async def rules(session: AsyncSession) -> list[OpeningRule]:
    return list(
        (
            await session.execute(
                select(OpeningRule).order_by(
                    OpeningRule.site_id, OpeningRule.weekday, OpeningRule.start, OpeningRule.id
                )
            )
        ).scalars()
    )


async def find(session: AsyncSession, rule_id: int) -> OpeningRule | None:
    if not 0 < rule_id < 2**31:
        return None
    return await session.get(OpeningRule, rule_id)


def _write(rule: OpeningRule, values: RuleValues) -> None:
    for name in FIELDS:
        setattr(rule, name, getattr(values, name))


def describe(values: RuleValues | OpeningRule) -> str:
    """ "Lundi 08:30–12:00" and its limits, for the audit trail."""
    text = f"{WEEKDAYS[values.weekday]} {values.start:%H:%M}–{values.end:%H:%M}"
    if values.every_n_weeks > 1:
        text += f", une semaine sur {values.every_n_weeks}"
    if values.valid_from:
        text += f", à partir du {values.valid_from:%d/%m/%Y}"
    if values.valid_until:
        text += f", jusqu'au {values.valid_until:%d/%m/%Y}"
    return text


async def add(session: AsyncSession, values: RuleValues, actor: Any, now: datetime) -> OpeningRule:
    """A new rule only opens more hours: no booking can be left outside by it."""
    rule = OpeningRule()
    _write(rule, values)
    session.add(rule)
    await session.flush()
    await record(
        session, actor, "opening_rule.created", f"opening_rule:{rule.id}",
        f"Horaire ajouté : {describe(values)}", now=now,
    )  # fmt: skip
    return rule


def _opening(rule: OpeningRule | RuleValues) -> WeeklyOpening:
    return WeeklyOpening(
        weekday=rule.weekday,
        start=rule.start,
        end=rule.end,
        desk_id=rule.desk_id,
        valid_from=rule.valid_from,
        valid_until=rule.valid_until,
        every_n_weeks=rule.every_n_weeks,
    )


async def orphans(
    session: AsyncSession,
    rule: OpeningRule,
    replacement: RuleValues | None,
    now: datetime,
    *,
    lock: bool = False,
) -> list[Booking]:
    """Confirmed bookings still to come that are inside opening hours now and would be
    outside them once `rule` is replaced (None: deleted). With `lock`, the site's desks are
    locked first, as a confirmation locks them: no booking slips in meanwhile."""
    site = await session.get_one(Site, rule.site_id)
    desks = select(Desk.id).where(Desk.site_id == site.id).order_by(Desk.id)
    if lock:
        await session.execute(desks.with_for_update())
    site_rules = list(
        (await session.execute(select(OpeningRule).where(OpeningRule.site_id == site.id))).scalars()
    )
    after_rules: list[OpeningRule | RuleValues] = [r for r in site_rules if r.id != rule.id]
    if replacement is not None and replacement.site_id == site.id:
        after_rules.append(replacement)
    candidates = (
        await session.execute(
            select(Booking)
            .where(
                Booking.desk_id.in_(desks),
                Booking.status == "confirmed",
                Booking.start > now,
                *([Booking.type_id == rule.type_id] if rule.type_id else []),
                *([Booking.desk_id == rule.desk_id] if rule.desk_id else []),
            )
            .options(selectinload(Booking.type), selectinload(Booking.desk))
            .order_by(Booking.start, Booking.id)
        )
    ).scalars()
    tz = ZoneInfo(site.timezone)

    def openings(rule_set: list[Any], booking: Booking) -> list[WeeklyOpening]:
        return [_opening(r) for r in rule_set if r.type_id in (None, booking.type_id)]

    return [
        booking
        for booking in candidates
        if opening_covers(
            openings(site_rules, booking), booking.desk_id, booking.start, booking.end, tz
        )
        and not opening_covers(
            openings(after_rules, booking), booking.desk_id, booking.start, booking.end, tz
        )
    ]


async def change(
    session: AsyncSession,
    rule: OpeningRule,
    replacement: RuleValues | None,
    *,
    decision: Decision | None,
    shown: set[int] | None,
    actor: Any,
    now: datetime,
    settings: Settings,
) -> NeedsDecision | Applied:
    """Replaces (or, with None, deletes) the rule. If bookings would be left outside the new
    hours and the administrator has not decided about exactly those (`shown`: the ids they
    saw), nothing changes and they are returned to be listed."""
    found = await orphans(session, rule, replacement, now, lock=True)
    if found and (decision is None or {b.id for b in found} != shown):
        return NeedsDecision(found)
    before = describe(rule)
    target = f"opening_rule:{rule.id}"
    if replacement is None:
        await session.delete(rule)
        action, summary = "opening_rule.deleted", f"Horaire supprimé : {before}"
    else:
        _write(rule, replacement)
        action = "opening_rule.updated"
        summary = f"Horaire modifié : {before} → {describe(replacement)}"
    references = [b.reference for b in found]
    cancelled: list[str] = []
    if decision is Decision.CANCEL:
        for booking in found:
            await cancel_for_configuration(session, booking, now, settings)
            cancelled.append(booking.reference)
    await session.flush()
    details: dict[str, Any] = {}
    if found:
        key = "cancelled" if decision is Decision.CANCEL else "kept_as_exceptions"
        details[key] = references
        summary += f" ; {len(found)} rendez-vous " + (
            "annulé(s), citoyens prévenus" if cancelled else "gardé(s) en exception"
        )
    await record(session, actor, action, target, summary, details or None, now=now)
    return Applied(kept=[] if cancelled else references, cancelled=cancelled)
