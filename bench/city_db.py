"""The "ville moyenne" written into a real database, for the HTTP benchmarks.

Town hall (site 1): 10 desks, the demo opening hours, 4 appointment types of 20 minutes
(the first one served by all 10 desks, with a 90-day horizon), about 60 % of the places of
that type booked over the horizon, 300 absences of 1 to 4 hours.

Rush (site 2, "salle des fêtes"): a passport operation whose places exist only on the days
given, through opening rules of that type alone: `desks × slots_per_day × days` places
(500 by default: 10 desks × 25 slots of 20 minutes from 09:00 × 2 days).

Everything is inserted directly, as the data of a commune that has run for months; dates
are relative to the real clock, because the server under test reads the real clock.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, text

from app.booking.availability import AvailabilityQuery, TypeRules, WeeklyOpening, free_slots
from app.booking.planning import public_holidays
from app.db.models import (
    AppointmentType,
    BlockedInterval,
    Booking,
    Commune,
    Desk,
    OpeningRule,
    Site,
)
from app.db.session import Database
from app.demo import WEEKLY_HOURS

PARIS = ZoneInfo("Europe/Paris")
SLOT_MINUTES = 20
HORIZON_DAYS = 90
MIN_DELAY_MINUTES = 120
RUSH_FIRST_START = time(9, 0)


@dataclass(frozen=True)
class City:
    main_type_id: int  # the type measured on step 5 (10 desks, 60 % booked)
    rush_type_id: int
    rush_desk_ids: tuple[int, ...]
    rush_days: tuple[date, ...]
    rush_places: int
    bookings: int
    absences: int


def rush_days(today: date, count: int, holidays: frozenset[date]) -> tuple[date, ...]:
    """`count` consecutive working days (Tuesday onwards), at least ten days ahead."""
    day = today + timedelta(days=10)
    while True:
        while day.weekday() != 1:
            day += timedelta(days=1)
        days = tuple(day + timedelta(days=n) for n in range(count))
        if all(d.weekday() < 5 and d not in holidays for d in days):
            return days
        day += timedelta(days=1)


def _slot_starts(today: date, now: datetime, holidays: frozenset[date]) -> list:
    """Every slot of the main type over its horizon, as the engine enumerates them."""
    rules = TypeRules(
        type_id=0,
        slot_minutes=SLOT_MINUTES,
        capacity=1,
        duration_per_person=False,
        min_delay=timedelta(0),
        horizon=timedelta(days=HORIZON_DAYS + 1),
    )
    return free_slots(
        AvailabilityQuery(
            tz=PARIS,
            desk_ids=tuple(range(1, 11)),
            openings=tuple(WeeklyOpening(weekday=w, start=s, end=e) for w, s, e in WEEKLY_HOURS),
            rules=rules,
            people=1,
            now=now - timedelta(days=1),
            first_day=today,
            last_day=today + timedelta(days=HORIZON_DAYS),
            holidays=holidays,
        )
    )


async def load_city(
    url: str,
    *,
    fill: float = 0.6,
    absences: int = 300,
    rush_desks: int = 10,
    rush_slots_per_day: int = 25,
    rush_day_count: int = 2,
    seed: int = 7,
    multiplier: int = 1,
) -> City:
    """Writes the scenario into an empty, migrated database. `multiplier` > 1 adds, as
    `bench/scenario.py` does, bookings of another type on the same desks outside opening
    hours (1 minute each, from local midnight): more data, the same free slots."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    today = now.astimezone(PARIS).date()
    holidays = public_holidays("", today.year, today.year + 1)
    db = Database(url)
    try:
        async with db.write() as session:
            commune = Commune(
                name="Mairie de Ville-Moyenne",
                contact_email="accueil@ville-moyenne.example.fr",
                contact_phone="+33123456789",
            )
            town_hall = Site(commune=commune, name="Hôtel de ville", position=0)
            hall = Site(commune=commune, name="Salle des fêtes", position=1)
            desks = [Desk(site=town_hall, name=f"Guichet {n}") for n in range(1, 11)]
            popup = [Desk(site=hall, name=f"Poste passeport {n}") for n in range(1, rush_desks + 1)]
            subsets = [desks, desks[:2], desks[2:5], desks[5:6]]
            titles = [
                "Carte d'identité / passeport",
                "Mariage / PACS — dossier",
                "Urbanisme — permis de construire",
                "CCAS — aide sociale",
            ]
            types = [
                AppointmentType(
                    site=town_hall,
                    slug=f"type-{n}",
                    title=title,
                    service=f"Service {n}",
                    slot_minutes=SLOT_MINUTES,
                    capacity=1,
                    max_people=1,
                    min_delay_minutes=MIN_DELAY_MINUTES,
                    horizon_days=HORIZON_DAYS,
                    desks=subset,
                    position=n,
                )
                for n, (title, subset) in enumerate(zip(titles, subsets, strict=True))
            ]
            rush_type = AppointmentType(
                site=hall,
                slug="operation-passeports",
                title="Opération passeports",
                service="Titres d'identité",
                slot_minutes=SLOT_MINUTES,
                capacity=1,
                max_people=1,
                min_delay_minutes=MIN_DELAY_MINUTES,
                horizon_days=HORIZON_DAYS,
                desks=popup,
                position=0,
            )
            session.add_all([commune, town_hall, hall, *desks, *popup, *types, rush_type])
            await session.flush()
            session.add_all(
                OpeningRule(site_id=town_hall.id, weekday=w, start=s, end=e)
                for w, s, e in WEEKLY_HOURS
            )
            days = rush_days(today, rush_day_count, holidays)
            rush_end = (
                datetime.combine(today, RUSH_FIRST_START)
                + timedelta(minutes=SLOT_MINUTES * rush_slots_per_day)
            ).time()
            session.add_all(
                OpeningRule(
                    site_id=hall.id,
                    type_id=rush_type.id,
                    weekday=day.weekday(),
                    start=RUSH_FIRST_START,
                    end=rush_end,
                    valid_from=day,
                    valid_until=day,
                )
                for day in days
            )
            desk_ids = [desk.id for desk in desks]
            main_type = types[0]

            rows = []
            for slot in _slot_starts(today, now, holidays):
                for position in slot.desk_ids:
                    if rng.random() < fill:
                        n = len(rows)
                        rows.append(
                            {
                                "reference": f"BENCH{n:07d}",
                                "uid": f"bench-{n}@creneau.invalid",
                                "sequence": 0,
                                "status": "confirmed",
                                "type_id": main_type.id,
                                "desk_id": desk_ids[position - 1],
                                "start": slot.start.astimezone(UTC),
                                "end": slot.end.astimezone(UTC),
                                "people": 1,
                                "last_name": "Martin",
                                "first_name": f"Client {n}",
                                "email": f"client{n}@example.org",
                                "phone": "+33612345678",
                                "extra": {},
                                "idempotency_key": f"bench-{n}",
                                "created_at": now,
                            }
                        )
            for n in range(len(rows) * (multiplier - 1)):
                day = today + timedelta(days=n % HORIZON_DAYS)
                start = datetime.combine(day, time(0), PARIS) + timedelta(minutes=(n // 90) % 400)
                rows.append(
                    {
                        **rows[n % len(rows)],
                        "reference": f"MORE{n:08d}",
                        "uid": f"bench-more-{n}@creneau.invalid",
                        "idempotency_key": f"bench-more-{n}",
                        "type_id": types[1].id,
                        "desk_id": desk_ids[n % 10],
                        "start": start.astimezone(UTC),
                        "end": (start + timedelta(minutes=1)).astimezone(UTC),
                    }
                )
            await session.execute(insert(Booking), rows)

            gaps = []
            for _ in range(absences):
                day = today + timedelta(days=rng.randrange(HORIZON_DAYS))
                start = datetime.combine(day, time(rng.choice([8, 9, 10, 13, 14, 15])), PARIS)
                gaps.append(
                    {
                        "desk_id": rng.choice(desk_ids),
                        "start": start.astimezone(UTC),
                        "end": (start + timedelta(hours=rng.choice([1, 2, 4]))).astimezone(UTC),
                        "label": "Absence",
                        "source": "manual",
                    }
                )
            await session.execute(insert(BlockedInterval), gaps)
            return City(
                main_type_id=main_type.id,
                rush_type_id=rush_type.id,
                rush_desk_ids=tuple(desk.id for desk in popup),
                rush_days=days,
                rush_places=rush_desks * rush_slots_per_day * rush_day_count,
                bookings=len(rows),
                absences=len(gaps),
            )
    finally:
        await db.dispose()


async def create_postgres_database(url: str) -> None:
    """Creates the benchmark's PostgreSQL database if it does not exist yet."""
    import asyncpg

    base, _, name = url.replace("postgresql+asyncpg://", "postgresql://").rpartition("/")
    connection = await asyncpg.connect(f"{base}/postgres")
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def reset_postgres(url: str) -> None:
    """Empties the benchmark's own PostgreSQL database (never use it on another one)."""
    db = Database(url)
    try:
        async with db.write() as session:
            await session.execute(text("DROP SCHEMA public CASCADE"))
            await session.execute(text("CREATE SCHEMA public"))
    finally:
        await db.dispose()


def offered_places(city: City) -> set[tuple[int, datetime]]:
    """(desk id, UTC start) of every place the rush opened."""
    return {
        (desk_id, start.astimezone(UTC))
        for day in city.rush_days
        for n in range(city.rush_places // len(city.rush_desk_ids) // len(city.rush_days))
        for start in [
            datetime.combine(day, RUSH_FIRST_START, PARIS) + timedelta(minutes=SLOT_MINUTES * n)
        ]
        for desk_id in city.rush_desk_ids
    }


async def overbooking_report(
    url: str, type_id: int, offered: set[tuple[int, datetime]]
) -> dict[str, int]:
    """What the database says after a rush, counted by SQL alone.

    `double_booked`: pairs of confirmed bookings (any type) overlapping on a desk of the type;
    `over_capacity`: (desk, start) pairs of the type holding more people than its capacity;
    `outside_opening`: bookings of the type starting where no place was offered."""
    db = Database(url)
    try:
        async with db.read() as session:
            statuses = dict(
                (
                    await session.execute(
                        text("SELECT status, COUNT(*) FROM booking WHERE type_id = :t GROUP BY 1"),
                        {"t": type_id},
                    )
                ).all()
            )
            double = (
                await session.execute(
                    text(
                        "SELECT COUNT(*) FROM booking a JOIN booking b "
                        "ON a.desk_id = b.desk_id AND a.id < b.id "
                        'AND a.start < b."end" AND b.start < a."end" '
                        "WHERE a.status = 'confirmed' AND b.status = 'confirmed' "
                        "AND a.desk_id IN (SELECT desk_id FROM desk_type WHERE type_id = :t)"
                    ),
                    {"t": type_id},
                )
            ).scalar()
            over = (
                await session.execute(
                    text(
                        "SELECT COUNT(*) FROM (SELECT b.desk_id, b.start, SUM(b.people) AS n "
                        "FROM booking b WHERE b.type_id = :t AND b.status = 'confirmed' "
                        "GROUP BY b.desk_id, b.start) AS per_slot "
                        "JOIN appointment_type ty ON ty.id = :t WHERE per_slot.n > ty.capacity"
                    ),
                    {"t": type_id},
                )
            ).scalar()
            booked = (
                await session.execute(
                    select(Booking.desk_id, Booking.start).where(
                        Booking.type_id == type_id, Booking.status == "confirmed"
                    )
                )
            ).all()
            outside = sum(1 for row in booked if (row.desk_id, row.start) not in offered)
            return {
                "outside_opening": outside,
                "confirmed": int(statuses.get("confirmed", 0)),
                "other_statuses": int(sum(v for k, v in statuses.items() if k != "confirmed")),
                "double_booked": int(double or 0),
                "over_capacity": int(over or 0),
            }
    finally:
        await db.dispose()


def load(url: str, **kwargs) -> City:
    return asyncio.run(load_city(url, **kwargs))
