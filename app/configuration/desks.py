"""Desks (counters or agents): name, site, the appointment types they serve. Removing a
desk never drops a booking: with bookings to come it is refused until they are moved, and
a desk with past bookings is kept for the history (it can stop serving every type)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.db.models import (
    AppointmentType,
    BlockedInterval,
    Booking,
    CalendarConnection,
    CalendarFeed,
    Desk,
    OpeningRule,
    Site,
    SlotHold,
    StaffUser,
)
from app.staff.audit import record


class DeskError(ValueError):
    """A refused change; the message is French."""


async def list_desks(session: AsyncSession) -> list[Desk]:
    rows = await session.execute(
        select(Desk)
        .join(Site)
        .options(selectinload(Desk.site), selectinload(Desk.types))
        .order_by(Site.position, Site.id, Desk.id)
    )
    return list(rows.scalars())


async def get_desk(session: AsyncSession, desk_id: int) -> Desk | None:
    return (
        await session.execute(
            select(Desk)
            .where(Desk.id == desk_id)
            .options(selectinload(Desk.site), selectinload(Desk.types))
        )
    ).scalar()


async def connections_by_desk(session: AsyncSession) -> dict[int, CalendarConnection]:
    rows = await session.execute(select(CalendarConnection))
    return {connection.desk_id: connection for connection in rows.scalars()}


async def all_types(session: AsyncSession) -> list[AppointmentType]:
    rows = await session.execute(
        select(AppointmentType)
        .join(Site)
        .order_by(Site.position, Site.id, AppointmentType.position, AppointmentType.id)
    )
    return list(rows.scalars())


def check_desk(
    name: str, site_id: int | None, type_ids: list[int], sites: list[Site],
    types: list[AppointmentType],
) -> dict[str, str]:  # fmt: skip
    errors = {}
    if not name.strip():
        errors["name"] = "Indiquez le nom du guichet (ou de l'agent)."
    elif len(name.strip()) > 200:
        errors["name"] = "Le nom ne doit pas dépasser 200 caractères."
    if site_id not in {site.id for site in sites}:
        errors["site_id"] = "Choisissez le site du guichet."
    else:
        foreign = [t.title for t in types if t.id in type_ids and t.site_id != site_id]
        if foreign:
            errors["types"] = (
                "Un guichet ne sert que des types de son site ; décochez : "
                + ", ".join(foreign) + "."
            )  # fmt: skip
    return errors


async def future_bookings(session: AsyncSession, desk_id: int, now: datetime) -> list[Booking]:
    rows = await session.execute(
        select(Booking)
        .where(Booking.desk_id == desk_id, Booking.status == "confirmed", Booking.end > now)
        .options(selectinload(Booking.type))
        .order_by(Booking.start)
    )
    return list(rows.scalars())


async def save_desk(
    session: AsyncSession,
    actor: StaffUser,
    *,
    desk_id: int | None,
    name: str,
    site_id: int,
    type_ids: list[int],
    now: datetime,
) -> Desk:
    """Creates or updates a desk (values already checked). A desk with bookings to come
    cannot move to another site: they would silently change address."""
    name = " ".join(name.split())
    types = list(
        (
            await session.execute(
                select(AppointmentType)
                .where(AppointmentType.id.in_(type_ids), AppointmentType.site_id == site_id)
                .order_by(AppointmentType.id)
            )
        ).scalars()
    )
    if desk_id is None:
        desk = Desk(site_id=site_id, name=name)
        desk.types = types
        session.add(desk)
        await session.flush()
        action, summary, before = "desk.created", f"Guichet « {name} » créé.", None
    else:
        found = await get_desk(session, desk_id)
        if found is None:
            raise DeskError("Ce guichet n'existe pas.")
        desk = found
        if desk.site_id != site_id and await future_bookings(session, desk.id, now):
            raise DeskError(
                "Ce guichet a des rendez-vous à venir : déplacez-les avant de le changer de site."
            )
        before = {"nom": desk.name, "site": desk.site_id, "types": [t.id for t in desk.types]}
        desk.name, desk.site_id, desk.types = name, site_id, types
        action, summary = "desk.updated", f"Guichet « {name} » modifié."
    after = {"nom": name, "site": site_id, "types": [t.id for t in types]}
    await record(session, actor, action, f"desk:{desk.id}", summary,
                 {"avant": before, "apres": after}, now=now)  # fmt: skip
    return desk


@dataclass(frozen=True)
class DeskInUse:
    """Removal refused: bookings to come (to move first), or past ones (history)."""

    future: list[Booking]
    past_count: int


async def remove_desk(
    session: AsyncSession, actor: StaffUser, desk_id: int, now: datetime
) -> DeskInUse | None:
    """Deletes a desk that never had a booking, with its rules, absences, calendar link and
    feeds; otherwise returns why not (nothing changed)."""
    desk = await get_desk(session, desk_id)
    if desk is None:
        raise DeskError("Ce guichet n'existe pas.")
    future = await future_bookings(session, desk_id, now)
    total = (
        await session.execute(
            select(func.count()).select_from(Booking).where(Booking.desk_id == desk_id)
        )
    ).scalar_one()
    if total:
        return DeskInUse(future, total - len(future))
    connection = (
        await session.execute(
            select(CalendarConnection).where(CalendarConnection.desk_id == desk_id)
        )
    ).scalar()
    if connection is not None:
        await session.delete(connection)
    for model in (BlockedInterval, OpeningRule, SlotHold, CalendarFeed):
        await session.execute(delete(model).where(model.desk_id == desk_id))
    desk.types = []
    await session.flush()
    name = desk.name
    await session.delete(desk)
    await record(session, actor, "desk.deleted", f"desk:{desk_id}",
                 f"Guichet « {name} » supprimé.", now=now)  # fmt: skip
    return None
