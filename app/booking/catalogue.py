"""Reading the commune's offer: its sites, services and appointment types."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.booking.reference import Reference, SiteInfo, TypeInfo, reference
from app.db.models import AppointmentType, Commune

MAX_ID = 2**31 - 1  # the largest INTEGER primary key PostgreSQL can store


@dataclass(frozen=True)
class TypeGroup:
    """Types shown together on step 1: one site, one service."""

    site: SiteInfo
    service: str
    types: tuple[TypeInfo, ...]


async def current_commune(session: AsyncSession) -> Commune | None:
    """The commune as an ORM object, for the back office that edits it (citizen pages read
    `reference.reference(session).commune`, cached)."""
    return (await session.execute(select(Commune).order_by(Commune.id).limit(1))).scalar()


async def active_type_groups(session: AsyncSession) -> list[TypeGroup]:
    return type_groups(await reference(session))


def type_groups(data: Reference) -> list[TypeGroup]:
    """The active types, grouped per site and service, in the order of the step-1 page."""
    active = sorted(
        (t for t in data.types.values() if t.active),
        key=lambda t: (t.site.position, t.site.id, t.position, t.id),
    )
    groups: dict[tuple[int, str], list[TypeInfo]] = {}
    for appointment_type in active:
        groups.setdefault((appointment_type.site_id, appointment_type.service), []).append(
            appointment_type
        )
    return [
        TypeGroup(site=data.sites[site_id], service=service, types=tuple(types))
        for (site_id, service), types in groups.items()
    ]


async def get_type(session: AsyncSession, type_id: int | None) -> TypeInfo | None:
    """An active type with its site and desks, or None (from the reference cache)."""
    if not type_id or not 0 < type_id <= MAX_ID:
        return None  # a number the database's INTEGER cannot hold is no type of ours
    return (await reference(session)).active_type(type_id)


async def get_type_any(session: AsyncSession, type_id: int) -> AppointmentType:
    """A type with its site and desks, active or not: staff still manage the bookings of a
    type the commune has withdrawn."""
    return (
        await session.execute(
            select(AppointmentType)
            .where(AppointmentType.id == type_id)
            .options(selectinload(AppointmentType.site), selectinload(AppointmentType.desks))
        )
    ).scalar_one()
