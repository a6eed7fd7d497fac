"""Sites (name, address, time zone) and their closures, edited by administrators.

A closure over days that already have confirmed bookings never drops them silently: the
caller gets the list and must choose to keep them (the site is closed to new bookings
only) or to cancel them (each citizen is told, as for any cancellation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.db.models import Booking, Closure, Desk, Site, StaffUser
from app.notifications.events import booking_cancelled
from app.settings import Settings
from app.staff.audit import record

KEEP, CANCEL = "garder", "annuler"


class SiteError(ValueError):
    """A refused change; the message is French."""


def check_site(name: str, address: str, timezone: str) -> dict[str, str]:
    errors = {}
    if not name.strip():
        errors["name"] = "Indiquez le nom du site."
    elif len(name.strip()) > 200:
        errors["name"] = "Le nom ne doit pas dépasser 200 caractères."
    if len(address) > 400:
        errors["address"] = "L'adresse ne doit pas dépasser 400 caractères."
    if not valid_timezone(timezone):
        errors["timezone"] = (
            "Fuseau horaire inconnu : écrivez-le comme « Europe/Paris » ou « America/Martinique »."
        )
    return errors


def valid_timezone(name: str) -> bool:
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


async def list_sites(session: AsyncSession) -> list[Site]:
    rows = await session.execute(select(Site).order_by(Site.position, Site.id))
    return list(rows.scalars())


async def get_site(session: AsyncSession, site_id: int) -> Site | None:
    return await session.get(Site, site_id)


async def closures_of(session: AsyncSession, site_id: int) -> list[Closure]:
    rows = await session.execute(
        select(Closure).where(Closure.site_id == site_id).order_by(Closure.first_day)
    )
    return list(rows.scalars())


async def save_site(
    session: AsyncSession,
    actor: StaffUser,
    *,
    site_id: int | None,
    commune_id: int,
    name: str,
    address: str,
    timezone: str,
    now: datetime,
) -> Site:
    """Creates (site_id None) or updates a site; the values must have passed check_site."""
    name, address = " ".join(name.split()), address.strip()
    if site_id is None:
        position = len(await list_sites(session))
        site = Site(commune_id=commune_id, name=name, address=address, timezone=timezone,
                    position=position)  # fmt: skip
        session.add(site)
        await session.flush()
        action, summary = "site.created", f"Site « {name} » créé."
        before = None
    else:
        found = await get_site(session, site_id)
        if found is None:
            raise SiteError("Ce site n'existe pas.")
        site = found
        before = {"nom": site.name, "adresse": site.address, "fuseau": site.timezone}
        site.name, site.address, site.timezone = name, address, timezone
        action, summary = "site.updated", f"Site « {name} » modifié."
    after = {"nom": site.name, "adresse": site.address, "fuseau": site.timezone}
    await record(session, actor, action, f"site:{site.id}", summary,
                 {"avant": before, "apres": after}, now=now)  # fmt: skip
    return site


@dataclass(frozen=True)
class ClosureConflict:
    """Confirmed bookings, not yet begun, on the days a closure would cover."""

    bookings: list[Booking]


def check_closure(first: date | None, last: date | None, label: str) -> dict[str, str]:
    errors = {}
    if first is None:
        errors["first_day"] = "Indiquez le premier jour de fermeture (jj/mm/aaaa)."
    if last is None:
        errors["last_day"] = "Indiquez le dernier jour de fermeture (jj/mm/aaaa)."
    if first and last and last < first:
        errors["last_day"] = "Le dernier jour doit être le même que le premier ou après."
    if first and last and (last - first).days > 366:
        errors["last_day"] = "Une fermeture dure au plus un an : découpez-la."
    if len(label) > 200:
        errors["label"] = "Le libellé ne doit pas dépasser 200 caractères."
    return errors


async def bookings_during(
    session: AsyncSession, site: Site, first: date, last: date, now: datetime
) -> list[Booking]:
    zone = ZoneInfo(site.timezone)
    start = datetime.combine(first, time.min, zone)
    end = datetime.combine(last + timedelta(days=1), time.min, zone)
    rows = await session.execute(
        select(Booking)
        .join(Desk, Desk.id == Booking.desk_id)
        .where(
            Desk.site_id == site.id,
            Booking.status == "confirmed",
            Booking.start >= max(start, now),
            Booking.start < end,
        )
        .options(selectinload(Booking.type))
        .order_by(Booking.start, Booking.id)
        .with_for_update(of=Booking)
    )
    return list(rows.scalars())


async def add_closure(
    session: AsyncSession,
    actor: StaffUser,
    settings: Settings,
    site: Site,
    *,
    first: date,
    last: date,
    label: str,
    decision: str | None,
    now: datetime,
) -> ClosureConflict | Closure:
    """Adds the closure, unless confirmed bookings fall on those days and no decision was
    given: then nothing is written and the bookings are returned. With KEEP they stay; with
    CANCEL each is cancelled and its citizen notified, in this same transaction."""
    bookings = await bookings_during(session, site, first, last, now)
    if bookings and decision not in (KEEP, CANCEL):
        return ClosureConflict(bookings)
    closure = Closure(
        site_id=site.id, first_day=first, last_day=last, label=" ".join(label.split())
    )
    session.add(closure)
    await session.flush()
    if bookings and decision == CANCEL:
        for booking in bookings:
            booking.status = "cancelled"
            booking.cancelled_at = now
            booking.cancelled_by_staff = True  # the place is free at once (decision 46)
            booking.sequence += 1
            await session.flush()
            await booking_cancelled(session, booking, now, settings, by_staff=True)
            await record(
                session, actor, "booking.cancelled", f"booking:{booking.id}",
                f"Rendez-vous {booking.reference} annulé : fermeture du site « {site.name} ».",
                {"fermeture": closure.id}, now=now,
            )  # fmt: skip
    period = f"du {first:%d/%m/%Y} au {last:%d/%m/%Y}"
    summary = f"Fermeture de « {site.name} » {period}"
    if bookings:
        summary += (
            f" ; {len(bookings)} rendez-vous annulé(s)." if decision == CANCEL
            else f" ; {len(bookings)} rendez-vous maintenu(s)."
        )  # fmt: skip
    else:
        summary += "."
    details = {
        "premier_jour": first.isoformat(),
        "dernier_jour": last.isoformat(),
        "libelle": label,
        "rendez_vous": [booking.reference for booking in bookings],
        "decision": decision if bookings else None,
    }
    await record(session, actor, "site.closed", f"site:{site.id}", summary, details, now=now)
    return closure


async def remove_closure(
    session: AsyncSession, actor: StaffUser, site: Site, closure_id: int, now: datetime
) -> bool:
    closure = await session.get(Closure, closure_id)
    if closure is None or closure.site_id != site.id:
        return False
    await session.delete(closure)
    await record(
        session, actor, "site.reopened", f"site:{site.id}",
        f"Fermeture de « {site.name} » du {closure.first_day:%d/%m/%Y} au "
        f"{closure.last_day:%d/%m/%Y} supprimée.", now=now,
    )  # fmt: skip
    return True
