"""Reading the commune's offer: its sites, services and appointment types."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.db.models import AppointmentType, Commune, Site

MAX_ID = 2**31 - 1  # the largest INTEGER primary key PostgreSQL can store


@dataclass(frozen=True)
class TypeGroup:
    """Types shown together on step 1: one site, one service."""

    site: Site
    service: str
    types: tuple[AppointmentType, ...]


async def current_commune(session: AsyncSession) -> Commune | None:
    return (await session.execute(select(Commune).order_by(Commune.id).limit(1))).scalar()


async def active_type_groups(session: AsyncSession) -> list[TypeGroup]:
    rows = (
        await session.execute(
            select(AppointmentType)
            .join(Site)
            .where(AppointmentType.active.is_(True))
            .options(selectinload(AppointmentType.site))
            .order_by(Site.position, Site.id, AppointmentType.position, AppointmentType.id)
        )
    ).scalars()
    groups: dict[tuple[int, str], list[AppointmentType]] = {}
    sites: dict[int, Site] = {}
    for appointment_type in rows:
        sites[appointment_type.site_id] = appointment_type.site
        groups.setdefault((appointment_type.site_id, appointment_type.service), []).append(
            appointment_type
        )
    return [
        TypeGroup(site=sites[site_id], service=service, types=tuple(types))
        for (site_id, service), types in groups.items()
    ]


async def get_type(session: AsyncSession, type_id: int | None) -> AppointmentType | None:
    """An active type with its site and desks, or None."""
    if not type_id or not 0 < type_id <= MAX_ID:
        return None  # a number the database's INTEGER cannot hold is no type of ours
    return (
        await session.execute(
            select(AppointmentType)
            .where(AppointmentType.id == type_id, AppointmentType.active.is_(True))
            .options(selectinload(AppointmentType.site), selectinload(AppointmentType.desks))
        )
    ).scalar()


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
