"""Asking the availability engine, as step 5 does, which CCAS slots are free."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.booking.availability import free_slots
from app.booking.planning import build_query
from app.db.models import AppointmentType
from tests.days import PARIS


async def free_times(db, day: date, now: datetime, title: str = "CCAS — aide sociale"):
    async with db.read() as session:
        appointment_type = (
            await session.execute(
                select(AppointmentType)
                .where(AppointmentType.title == title)
                .options(selectinload(AppointmentType.site), selectinload(AppointmentType.desks))
            )
        ).scalar_one()
        query = await build_query(session, appointment_type, 1, now, day, day)
        return [slot.start.astimezone(PARIS).strftime("%H:%M") for slot in free_slots(query)]
