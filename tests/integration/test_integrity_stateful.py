"""Random interleavings of holds, confirmations, modifications, cancellations, hold expiry
and rule changes,
against the real database (SQLite, or PostgreSQL with TEST_DATABASE_URL): after every step,
no booking was ever accepted beyond its slot's capacity and no desk is booked twice at once.

Each example builds its own small commune (two desks; an exclusive type whose length grows
with the number of people, served by both desks; a type of 2–3 places on the second desk),
so examples never see each other's rows.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
)
from sqlalchemy import delete, select, update

from app.booking.changes import (
    Cancelled,
    ChangeRefused,
    cancel,
    find_booking,
    modification_state,
    move,
)
from app.booking.drafts import DraftStore
from app.booking.links import LinkClaim
from app.booking.service import Confirmed, DraftUnusable, Held, SlotTaken, confirm, hold
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
from app.settings import Settings
from tests.days import THURSDAY, WEDNESDAY, at, open_day
from tests.instant import FIXED_NOW

START = FIXED_NOW  # the suite's instant
# A Wednesday and a Thursday at least two days ahead, not public holidays.
DAYS = (open_day(WEDNESDAY), open_day(THURSDAY))
# Candidate starts every 15 minutes from 8:45 to 11:45, Paris time.
CANDIDATES = tuple(
    (at(day, 8, 45) + timedelta(minutes=15 * n)).astimezone(UTC) for day in DAYS for n in range(13)
)


@dataclass
class World:
    """The rows of one example."""

    exclusive_type: int
    places_type: int
    desks: tuple[int, int]


class BookingMachine(RuleBasedStateMachine):
    drafts = Bundle("drafts")
    bookings = Bundle("bookings")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.db = Database(DATABASE_URL[0])
        self.store = DraftStore(self.db, timedelta(hours=1))
        self.settings = Settings(
            data_dir=SETTINGS_DIR[0],
            database_url=DATABASE_URL[0],
            secret_key="test-secret-key-not-for-production-0123456789",
        )
        self.now = START
        # booking id -> (when it was last accepted, the places of its type then)
        self.accepted: dict[int, tuple[int, int]] = {}
        self.acceptances = 0
        self.world: World | None = None

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.run(self.db.dispose())
        self.loop.close()

    # --- set-up -----------------------------------------------------------------------------

    @initialize()
    def build_commune(self) -> None:
        self.world = self.run(self._build())

    async def _build(self) -> World:
        async with self.db.write() as session:
            commune = Commune(name="Commune d'essai")
            site = Site(commune=commune, name="Mairie", timezone="Europe/Paris")
            first, second = Desk(site=site, name="Guichet 1"), Desk(site=site, name="Guichet 2")
            exclusive = AppointmentType(
                site=site,
                slug=f"titres-{secrets.token_hex(6)}",
                title="Titres",
                slot_minutes=15,
                duration_per_person=True,
                max_people=3,
                capacity=1,
                min_delay_minutes=0,
                horizon_days=30,
                desks=[first, second],
            )
            places = AppointmentType(
                site=site,
                slug=f"atelier-{secrets.token_hex(6)}",
                title="Atelier",
                slot_minutes=30,
                max_people=3,
                capacity=3,
                min_delay_minutes=0,
                horizon_days=30,
                desks=[second],
            )
            session.add_all([commune, site, first, second, exclusive, places])
            await session.flush()
            for weekday in range(5):
                session.add(
                    OpeningRule(site_id=site.id, weekday=weekday, start=time(8, 30), end=time(12))
                )
            return World(exclusive.id, places.id, (first.id, second.id))

    # --- what citizens do ---------------------------------------------------------------------

    @rule(
        target=drafts,
        exclusive=st.booleans(),
        people=st.integers(1, 3),
        start=st.sampled_from(CANDIDATES),
        email=st.sampled_from(["a@example.org", "b@example.org", "c@example.org"]),
    )
    def hold_a_slot(self, exclusive: bool, people: int, start: datetime, email: str):
        type_id = self.world.exclusive_type if exclusive else self.world.places_type
        state = {
            "type_id": type_id,
            "info_seen": True,
            "people": people,
            "contact": {
                "last_name": "Essai",
                "first_name": "Personne",
                "email": email,
                "phone": "+33612345678",
                "extra": {},
            },
            "contact_type_id": type_id,
            "slot_start": start.isoformat(),
        }
        _, draft = self.run(self.store.create(state, self.now))
        result = self.run(
            hold(self.db, draft.id, state, self.now, keep_draft_until=self.now + timedelta(hours=1))
        )
        assert isinstance(result, Held | SlotTaken), result
        return draft.id

    @rule(target=bookings, draft_id=consumes(drafts))
    def confirm_a_draft(self, draft_id: int):
        capacity = self.run(self._capacity(self.world.places_type))
        result = self.run(
            confirm(
                self.db,
                draft_id,
                self.now,
                uid_domain="essai.invalid",
                keep_draft_until=self.now + timedelta(hours=1),
                settings=self.settings,
            )
        )
        assert isinstance(result, Confirmed | SlotTaken | DraftUnusable), result
        if isinstance(result, Confirmed):
            self._accepted(result.booking_id, capacity)
            return result.booking_id
        return 0  # nothing booked: a later change of it does nothing

    @rule(
        booking_id=bookings,
        people=st.integers(1, 3),
        start=st.sampled_from(CANDIDATES),
        keep_hold=st.booleans(),
    )
    def modify_a_booking(self, booking_id: int, people: int, start: datetime, keep_hold: bool):
        """The citizen opens the modify link, chooses another slot (held), and confirms."""
        booking = self.run(find_booking(self.db, booking_id)) if booking_id else None
        if booking is None or booking.status != "confirmed":
            return
        state = {**modification_state(booking), "people": people, "slot_start": start.isoformat()}
        _, draft = self.run(self.store.create(state, self.now))
        if keep_hold:
            held = self.run(
                hold(
                    self.db,
                    draft.id,
                    state,
                    self.now,
                    keep_draft_until=self.now + timedelta(hours=1),
                    ignore_booking_id=booking.id,
                )
            )
            assert isinstance(held, Held | SlotTaken), held
        capacity = self.run(self._capacity(self.world.places_type))
        result = self.run(
            move(
                self.db,
                draft.id,
                self.now,
                settings=self.settings,
                keep_draft_until=self.now + timedelta(hours=1),
            )
        )
        assert isinstance(result, Confirmed | SlotTaken | ChangeRefused), result
        if isinstance(result, Confirmed):
            self._accepted(booking_id, capacity)

    @rule(booking_id=consumes(bookings))
    def cancel_a_booking(self, booking_id: int):
        booking = self.run(find_booking(self.db, booking_id)) if booking_id else None
        if booking is None:
            return
        claim = LinkClaim(booking.id, booking.sequence, "cancel")
        result = self.run(cancel(self.db, claim, self.now, settings=self.settings))
        assert isinstance(result, Cancelled), result

    @rule(minutes=st.sampled_from([1, 5, 11]))
    def time_passes(self, minutes: int):
        """Holds run out by themselves after 10 minutes."""
        self.now += timedelta(minutes=minutes)

    # --- what staff change meanwhile ----------------------------------------------------------

    @rule(capacity=st.integers(1, 3))
    def change_the_places(self, capacity: int):
        self.run(
            self._execute(
                update(AppointmentType)
                .where(AppointmentType.id == self.world.places_type)
                .values(capacity=capacity)
            )
        )

    @rule(desk=st.sampled_from([0, 1]), start=st.sampled_from(CANDIDATES), hours=st.integers(1, 2))
    def an_agent_is_absent(self, desk: int, start: datetime, hours: int):
        self.run(
            self._add(
                BlockedInterval(
                    desk_id=self.world.desks[desk],
                    start=start,
                    end=start + timedelta(hours=hours),
                    label="Absence",
                )
            )
        )

    @rule(desk=st.sampled_from([0, 1]))
    def absences_are_lifted(self, desk: int):
        self.run(
            self._execute(
                delete(BlockedInterval).where(BlockedInterval.desk_id == self.world.desks[desk])
            )
        )

    # --- the guarantees -----------------------------------------------------------------------

    @invariant()
    def nobody_is_ever_overbooked(self) -> None:
        if self.world is None:
            return
        rows = self.run(self._active_bookings())
        for n, booking in enumerate(rows):
            for other in rows[n + 1 :]:
                if other.desk_id != booking.desk_id:
                    continue
                overlap = other.start < booking.end and booking.start < other.end
                both_places = booking.type_id == other.type_id == self.world.places_type
                assert not (overlap and not both_places), (
                    f"desk {booking.desk_id} booked twice at once: {booking.id} and {other.id}"
                )
        places = [b for b in rows if b.type_id == self.world.places_type]
        for booking in places:
            accepted_at, capacity = self.accepted[booking.id]
            # Everyone already there when this booking was accepted, this booking included.
            present = sum(
                other.people
                for other in places
                if self.accepted[other.id][0] <= accepted_at
                and other.desk_id == booking.desk_id
                and other.start < booking.end
                and booking.start < other.end
            )
            assert present <= capacity, (
                f"booking {booking.id}: {present} people for {capacity} places"
            )

    # --- database helpers ---------------------------------------------------------------------

    def _accepted(self, booking_id: int, capacity: int) -> None:
        self.acceptances += 1
        self.accepted[booking_id] = (self.acceptances, capacity)

    async def _execute(self, statement) -> None:
        async with self.db.write() as session:
            await session.execute(statement)

    async def _add(self, row) -> None:
        async with self.db.write() as session:
            session.add(row)

    async def _capacity(self, type_id: int) -> int:
        async with self.db.read() as session:
            return (
                await session.execute(
                    select(AppointmentType.capacity).where(AppointmentType.id == type_id)
                )
            ).scalar_one()

    async def _active_bookings(self) -> list[Booking]:
        async with self.db.read() as session:
            return list(
                (
                    await session.execute(
                        select(Booking)
                        .where(
                            Booking.status == "confirmed",
                            Booking.desk_id.in_(self.world.desks),
                        )
                        .order_by(Booking.id)
                    )
                ).scalars()
            )


DATABASE_URL: list[str] = []
SETTINGS_DIR: list = []


def test_random_interleavings_never_overbook(database_url, tmp_path):
    DATABASE_URL[:] = [database_url]
    SETTINGS_DIR[:] = [tmp_path]
    run = settings(
        max_examples=25,
        stateful_step_count=30,
        deadline=None,
        derandomize=True,  # the same interleavings on every run: CI never flickers
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )(BookingMachine).TestCase
    run().runTest()
