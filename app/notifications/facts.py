"""A booking as a message states it: every value one line of plain text, dates in French.

Messages are composed from these facts right after the change is committed (see
`events`), from the booking as that change left it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.booking.contact import display_phone
from app.booking.links import cancel_path, modify_path
from app.db.models import AppointmentType, Booking, Commune, Site
from app.email_headers import one_line
from app.french import long_date, time_of_day
from app.settings import Settings


@dataclass(frozen=True)
class BookingScene:
    """The rows a message about a booking needs, loaded once."""

    booking: Booking
    appointment_type: AppointmentType
    site: Site
    commune: Commune


async def load_scene(session: AsyncSession, booking: Booking) -> BookingScene:
    appointment_type = (
        await session.execute(
            select(AppointmentType)
            .where(AppointmentType.id == booking.type_id)
            .options(selectinload(AppointmentType.site).selectinload(Site.commune))
        )
    ).scalar_one()
    site = appointment_type.site
    return BookingScene(booking, appointment_type, site, site.commune)


@dataclass(frozen=True)
class BookingFacts:
    commune: str
    commune_email: str
    commune_phone: str
    type_title: str
    site_name: str
    address: str
    day: str  # "lundi 7 décembre 2026"
    start_time: str  # "10 h 30"
    end_time: str
    start_local: datetime
    people: int
    what_to_bring: str
    reference: str
    first_name: str
    last_name: str
    modify_url: str
    cancel_url: str
    new_booking_url: str

    @property
    def citizen_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def place(self) -> str:
        return f"{self.site_name}, {self.address}" if self.address else self.site_name


def booking_facts(scene: BookingScene, settings: Settings) -> BookingFacts:
    booking, site = scene.booking, scene.site
    tz = ZoneInfo(site.timezone)
    start, end = booking.start.astimezone(tz), booking.end.astimezone(tz)
    base = settings.base_url
    return BookingFacts(
        commune=one_line(scene.commune.name),
        commune_email=one_line(scene.commune.contact_email),
        commune_phone=one_line(display_phone(scene.commune.contact_phone))
        if scene.commune.contact_phone
        else "",
        type_title=one_line(scene.appointment_type.title),
        site_name=one_line(site.name),
        address=one_line(site.address),
        day=long_date(start),
        start_time=time_of_day(start),
        end_time=time_of_day(end),
        start_local=start,
        people=booking.people,
        what_to_bring=one_line(scene.appointment_type.what_to_bring),
        reference=booking.reference,
        first_name=one_line(booking.first_name),
        last_name=one_line(booking.last_name),
        modify_url=base + modify_path(settings.secret_key, booking),
        cancel_url=base + cancel_path(settings.secret_key, booking),
        new_booking_url=f"{base}/rendez-vous/type",
    )
