"""An agent's changes to bookings, at the domain level against the real database (SQLite or
PostgreSQL): moving, cancelling, marking attendance and booking for someone on the phone.
The HTTP side is in test_agent_*.py."""

from __future__ import annotations

import asyncio
import email
from datetime import datetime, timedelta
from email import policy
from typing import Any

from sqlalchemy import select, update

from app.booking import attendance, changes, staff_booking
from app.booking.availability import slot_fits
from app.booking.catalogue import get_type
from app.booking.changes import Cancelled, Moved, StaffRefusal, StaffRefused
from app.booking.contact import ContactDetails
from app.booking.drafts import DraftStore
from app.booking.limits import LimitReached
from app.booking.planning import build_query
from app.booking.service import Confirmed, SlotTaken, confirm
from app.booking.staff_booking import StaffBookingRequest, TypeUnavailable
from app.db.models import AppointmentType, Booking, OutboxMessage, Site
from app.db.session import Database
from app.demo import load_demo
from tests.conftest import FIXED_NOW
from tests.days import TODAY, TUESDAY, open_day, slot
from tests.days import at as local_time
from tests.integration.helpers import answered_draft

LATER = FIXED_NOW + timedelta(hours=1)
DAY = open_day(TUESDAY)  # an open Tuesday, two days ahead or more
SLOTS = [slot(DAY, 10, 0), slot(DAY, 10, 30), slot(DAY, 11, 0), slot(DAY, 11, 30)]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


class World:
    """The demo commune in the test database, and what the tests do to it."""

    def __init__(self, db: Database, settings: Any, actor: Any = None) -> None:
        self.db, self.settings, self.actor = db, settings, actor
        self.store = DraftStore(db, timedelta(hours=1))
        self.counter = 0

    async def type_id(self, slug: str) -> int:
        async with self.db.read() as session:
            return (
                await session.execute(
                    select(AppointmentType.id).where(AppointmentType.slug == slug)
                )
            ).scalar_one()

    async def site_id(self, name: str) -> int:
        async with self.db.read() as session:
            return (await session.execute(select(Site.id).where(Site.name == name))).scalar_one()

    async def citizen_books(self, slug: str, slot: str) -> Booking:
        self.counter += 1
        state = answered_draft(await self.type_id(slug), self.counter, slot)
        _, draft = await self.store.create(state, FIXED_NOW)
        result = await confirm(
            self.db,
            draft.id,
            FIXED_NOW,
            uid_domain="test.invalid",
            keep_draft_until=LATER,
            settings=self.settings,
        )
        assert isinstance(result, Confirmed), result
        return await self.booking(result.booking_id)

    async def booking(self, booking_id: int) -> Booking:
        async with self.db.read() as session:
            return (
                await session.execute(select(Booking).where(Booking.id == booking_id))
            ).scalar_one()

    async def messages(self, booking_id: int) -> list[OutboxMessage]:
        async with self.db.read() as session:
            return list(
                (
                    await session.execute(
                        select(OutboxMessage)
                        .where(OutboxMessage.booking_id == booking_id)
                        .order_by(OutboxMessage.id)
                    )
                ).scalars()
            )

    async def emails(self, booking_id: int) -> list[email.message.EmailMessage]:
        return [
            email.message_from_string(m.payload["message"], policy=policy.default)
            for m in await self.messages(booking_id)
            if m.channel == "email"
        ]

    async def set_type(self, slug: str, **values: Any) -> None:
        async with self.db.write() as session:
            await session.execute(
                update(AppointmentType).where(AppointmentType.slug == slug).values(**values)
            )

    async def citizen_can_book(self, slug: str, slot: str, now: datetime = FIXED_NOW) -> bool:
        async with self.db.read() as session:
            appointment_type = await get_type(session, await self.type_id(slug))
            day = at(slot).date()
            query = await build_query(session, appointment_type, 1, now, day, day)
        return bool(slot_fits(query, at(slot)))

    def move(self, booking: Booking, slot: str, *, sequence=None, site_ids=None, now=FIXED_NOW):
        return changes.staff_move(
            self.db,
            booking.id,
            booking.sequence if sequence is None else sequence,
            at(slot),
            now,
            actor=self.actor,
            site_ids=site_ids,
            settings=self.settings,
        )

    def cancel(self, booking: Booking, *, site_ids=None, now=FIXED_NOW):
        return changes.staff_cancel(
            self.db,
            booking.id,
            booking.sequence,
            now,
            actor=self.actor,
            site_ids=site_ids,
            settings=self.settings,
        )

    def mark(self, booking: Booking, value: str | None, *, now: datetime, site_ids=None):
        return attendance.mark_attendance(
            self.db, booking.id, value, now, actor=self.actor, site_ids=site_ids
        )

    async def phone_booking(
        self,
        slug: str,
        slot: str,
        *,
        token: str | None = None,
        email_address: str = "",
        phone: str = "",
        people: int = 1,
        site_ids=None,
        now: datetime = FIXED_NOW,
    ):
        request = StaffBookingRequest(
            type_id=await self.type_id(slug),
            people=people,
            start=at(slot),
            contact=ContactDetails("Martin", "Jeanne", email_address, phone),
            form_token=token or staff_booking.new_form_token(),
        )
        return await staff_booking.book_for_citizen(
            self.db, request, now, actor=self.actor, site_ids=site_ids, settings=self.settings
        )


def run(settings, scenario, actor_factory=None):
    async def main():
        db = Database(settings.database_url)
        await load_demo(db, TODAY)
        try:
            actor = await actor_factory(db) if actor_factory else None
            return await scenario(World(db, settings, actor))
        finally:
            await db.dispose()

    return asyncio.run(main())


# --- moving -------------------------------------------------------------------------------


def test_an_agent_moves_a_booking_in_place_and_the_citizen_is_told_it_was_the_town_hall(
    settings,
):
    async def scenario(world: World):
        booking = await world.citizen_books("ccas-aide-sociale", SLOTS[0])
        result = await world.move(booking, SLOTS[2])
        moved = await world.booking(booking.id)
        mails = await world.emails(booking.id)
        freed = await world.citizen_can_book("ccas-aide-sociale", SLOTS[0])
        return booking, result, moved, mails, freed

    booking, result, moved, mails, freed = run(settings, scenario)
    assert result == Moved(booking.id, booking.start)
    assert moved.start == at(SLOTS[2])
    assert (moved.reference, moved.uid) == (booking.reference, booking.uid)
    assert moved.sequence == booking.sequence + 1
    assert freed, "the old slot is free again"
    assert [m["Subject"].split(" :")[0] for m in mails] == [
        "Rendez-vous confirmé",
        "Rendez-vous déplacé par la mairie",
    ]
    body = mails[-1].get_body(("plain",)).get_content()
    assert "Un agent de la mairie a déplacé votre rendez-vous" in body
    calendar = mails[-1].get_body(("calendar",)).get_content()
    assert "METHOD:REQUEST" in calendar and f"SEQUENCE:{moved.sequence}" in calendar


def test_a_move_to_a_taken_slot_is_refused_and_changes_nothing(settings):
    async def scenario(world: World):
        booking = await world.citizen_books("ccas-aide-sociale", SLOTS[0])
        await world.citizen_books("ccas-aide-sociale", SLOTS[1])
        result = await world.move(booking, SLOTS[1])
        return booking, result, await world.booking(booking.id), await world.emails(booking.id)

    booking, result, after, mails = run(settings, scenario)
    assert result == SlotTaken()
    assert (after.start, after.sequence) == (booking.start, booking.sequence)
    assert len(mails) == 1  # the confirmation only


def test_a_move_from_a_stale_page_or_another_site_or_a_cancelled_booking_is_refused(settings):
    async def scenario(world: World):
        booking = await world.citizen_books("ccas-aide-sociale", SLOTS[0])
        town_hall = await world.site_id("Hôtel de ville")
        other_site = await world.move(booking, SLOTS[2], site_ids={town_hall})
        stale = await world.move(booking, SLOTS[2], sequence=booking.sequence + 5)
        same = await world.move(booking, SLOTS[0])
        begun = await world.move(booking, SLOTS[2], now=at(SLOTS[0]) + timedelta(minutes=1))
        await world.cancel(booking)
        cancelled = await world.move(booking, SLOTS[2])
        return booking, [other_site, stale, same, begun, cancelled], await world.booking(booking.id)

    booking, results, after = run(settings, scenario)
    assert [r.reason for r in results] == [
        StaffRefusal.NOT_FOUND,
        StaffRefusal.CHANGED,
        StaffRefusal.SAME_SLOT,
        StaffRefusal.BEGUN,
        StaffRefusal.CANCELLED,
    ]
    assert after.start == booking.start


def test_an_agent_may_move_a_booking_into_a_place_kept_for_staff(settings):
    urbanism = "urbanisme-permis"  # two desks: one of them kept for staff

    async def scenario(world: World):
        await world.set_type(urbanism, staff_reserved_places=1)
        await world.citizen_books(urbanism, SLOTS[0])
        citizens_see_it = await world.citizen_can_book(urbanism, SLOTS[0])
        other = await world.citizen_books(urbanism, SLOTS[1])
        result = await world.move(other, SLOTS[0])
        return citizens_see_it, result, await world.booking(other.id)

    citizens_see_it, result, moved = run(settings, scenario)
    assert not citizens_see_it
    assert isinstance(result, Moved)
    assert moved.start == at(SLOTS[0])


# --- cancelling ---------------------------------------------------------------------------


def test_a_cancellation_by_an_agent_frees_the_place_at_once_despite_the_cool_down(settings):
    async def scenario(world: World):
        await world.set_type("ccas-aide-sociale", cooldown_minutes=120)
        by_staff = await world.citizen_books("ccas-aide-sociale", SLOTS[0])
        by_citizen = await world.citizen_books("ccas-aide-sociale", SLOTS[1])
        result = await world.cancel(by_staff)
        again = await world.cancel(by_staff)
        claim = changes.LinkClaim(by_citizen.id, by_citizen.sequence, "cancel")
        await changes.cancel(world.db, claim, FIXED_NOW, settings=world.settings)
        return (
            result,
            again,
            await world.booking(by_staff.id),
            await world.citizen_can_book("ccas-aide-sociale", SLOTS[0]),
            await world.citizen_can_book("ccas-aide-sociale", SLOTS[1]),
            await world.emails(by_staff.id),
        )

    result, again, cancelled, staff_freed, citizen_freed, mails = run(settings, scenario)
    assert result == Cancelled(cancelled.id)
    assert again == StaffRefused(StaffRefusal.CANCELLED)
    assert cancelled.status == "cancelled" and cancelled.cancelled_by_staff
    assert staff_freed, "freed at once"
    assert not citizen_freed, "a citizen's own cancellation still cools down"
    assert mails[-1]["Subject"].startswith("Rendez-vous annulé par la mairie")
    assert "METHOD:CANCEL" in mails[-1].get_body(("calendar",)).get_content()


# --- attendance ---------------------------------------------------------------------------


def test_attendance_is_marked_only_once_the_appointment_has_begun_and_can_be_undone(settings):
    async def scenario(world: World):
        booking = await world.citizen_books("ccas-aide-sociale", SLOTS[0])
        started = at(SLOTS[0]) + timedelta(minutes=5)
        early = await world.mark(booking, "attended", now=FIXED_NOW)
        came = await world.mark(booking, "attended", now=started)
        after_came = (await world.booking(booking.id)).attendance
        no_show = await world.mark(booking, "no_show", now=started)
        undone = await world.mark(booking, None, now=started)
        elsewhere = await world.mark(
            booking, "attended", now=started, site_ids={await world.site_id("Hôtel de ville")}
        )
        return early, came, after_came, no_show, undone, elsewhere, await world.booking(booking.id)

    early, came, after_came, no_show, undone, elsewhere, final = run(settings, scenario)
    assert early.reason is attendance.AttendanceRefusal.NOT_STARTED
    assert came.attendance == after_came == "attended"
    assert (no_show.previous, no_show.attendance) == ("attended", "no_show")
    assert undone.attendance is None
    assert elsewhere.reason is attendance.AttendanceRefusal.NOT_FOUND
    assert final.attendance is None


# --- booking for someone on the phone -----------------------------------------------------


def test_a_phone_booking_without_email_sends_no_email_and_counts_for_nobody(settings):
    async def scenario(world: World):
        await world.set_type("ccas-aide-sociale", limit_bookings=1)
        landline = "+33320123456"
        first = await world.phone_booking("ccas-aide-sociale", SLOTS[0], phone=landline)
        second = await world.phone_booking("ccas-aide-sociale", SLOTS[1])
        third = await world.phone_booking("ccas-aide-sociale", SLOTS[2])
        same_phone = await world.phone_booking("ccas-aide-sociale", SLOTS[3], phone=landline)
        booking = await world.booking(first.booking_id)
        return first, second, third, same_phone, booking, await world.messages(first.booking_id)

    first, second, third, same_phone, booking, messages = run(settings, scenario)
    assert isinstance(first, Confirmed)
    assert booking.by_staff and booking.email == "" and booking.phone == "+33320123456"
    assert [m.channel for m in messages] == []  # no e-mail to send, a landline gets no SMS
    # Neither e-mail nor phone: nobody to recognise, so no limit; the same phone: limited.
    assert isinstance(second, Confirmed)
    assert isinstance(third, Confirmed)
    assert isinstance(same_phone, LimitReached)


def test_a_phone_booking_follows_the_citizen_limits_and_emails_when_given(settings):
    async def scenario(world: World):
        await world.set_type("ccas-aide-sociale", limit_bookings=1)
        await world.citizen_books("ccas-aide-sociale", SLOTS[0])  # citoyen1@example.org
        limited = await world.phone_booking(
            "ccas-aide-sociale", SLOTS[1], email_address="Citoyen1@example.org"
        )
        booked = await world.phone_booking(
            "ccas-aide-sociale", SLOTS[1], email_address="jeanne@example.org"
        )
        return limited, booked, await world.emails(booked.booking_id)

    limited, booked, mails = run(settings, scenario)
    assert isinstance(limited, LimitReached)
    assert isinstance(booked, Confirmed)
    assert [m["To"].addresses[0].addr_spec for m in mails] == ["jeanne@example.org"]
    assert mails[0]["Subject"].startswith("Rendez-vous confirmé")


def test_a_resubmitted_phone_booking_books_once(settings):
    async def scenario(world: World):
        token = staff_booking.new_form_token()
        first = await world.phone_booking("ccas-aide-sociale", SLOTS[0], token=token)
        again = await world.phone_booking("ccas-aide-sociale", SLOTS[0], token=token)
        return first, again

    first, again = run(settings, scenario)
    assert again == Confirmed(first.booking_id, replay=True)


def test_a_phone_booking_uses_the_places_kept_for_staff_and_refuses_what_is_not_offered(
    settings,
):
    urbanism = "urbanisme-permis"

    async def scenario(world: World):
        await world.set_type(urbanism, staff_reserved_places=1)
        await world.citizen_books(urbanism, SLOTS[0])
        kept = await world.phone_booking(urbanism, SLOTS[0])
        full = await world.phone_booking(urbanism, SLOTS[0])
        too_many = await world.phone_booking(urbanism, SLOTS[1], people=2)
        # At 8:00 that day, 9:00 is within the type's two-hour minimum delay.
        too_soon = await world.phone_booking(urbanism, slot(DAY, 9, 0), now=local_time(DAY, 8, 0))
        other_site = await world.phone_booking(
            "ccas-aide-sociale", SLOTS[1], site_ids={await world.site_id("Hôtel de ville")}
        )
        return kept, full, too_many, too_soon, other_site

    kept, full, too_many, too_soon, other_site = run(settings, scenario)
    assert isinstance(kept, Confirmed)
    assert full == SlotTaken()
    assert too_many == TypeUnavailable()
    assert too_soon == SlotTaken(too_late=True)
    assert other_site == TypeUnavailable()


def test_an_agent_and_citizens_racing_for_the_last_place_book_it_once(settings):
    async def scenario(world: World):
        ccas = await world.type_id("ccas-aide-sociale")
        drafts = []
        for n in range(4):
            _, draft = await world.store.create(answered_draft(ccas, 100 + n, SLOTS[3]), FIXED_NOW)
            drafts.append(draft.id)
        attempts = [
            confirm(
                world.db,
                d,
                FIXED_NOW,
                uid_domain="test.invalid",
                keep_draft_until=LATER,
                settings=world.settings,
            )
            for d in drafts
        ]
        attempts += [world.phone_booking("ccas-aide-sociale", SLOTS[3]) for _ in range(4)]
        results = await asyncio.gather(*attempts)
        async with world.db.read() as session:
            count = len(
                list(
                    (
                        await session.execute(
                            select(Booking.id).where(
                                Booking.start == at(SLOTS[3]), Booking.status == "confirmed"
                            )
                        )
                    ).scalars()
                )
            )
        return results, count

    results, count = run(settings, scenario)
    assert sum(isinstance(r, Confirmed) for r in results) == 1
    assert all(isinstance(r, (Confirmed, SlotTaken)) for r in results)
    assert count == 1
