"""The single place where a booking change fans out to channels.

Each function runs in the caller's session, inside the transaction that changes the
booking: the messages are composed now (what the citizen reads is what was decided) and
written to the outbox; they exist if and only if the change is committed. Calling one twice
for the same booking state enqueues nothing more (one dedupe key per message).

Channels: an e-mail always; an SMS too when the commune subscribed (`commune.sms_enabled`);
a web push to each browser subscribed to the booking for the confirmation and the reminder,
and for a move or cancellation only when staff made it (`by_staff=True`): the citizen who
changed the booking knows already.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr

from sqlalchemy.ext.asyncio import AsyncSession

from app.booking.contact import is_mobile
from app.calendar_sync.channel import enqueue_publication
from app.calendar_sync.ics import Party, invitation
from app.db.models import Booking
from app.email_headers import message_id
from app.notifications.email import WORDINGS, compose_email
from app.notifications.facts import BookingScene, booking_facts, load_scene
from app.notifications.sms import sms_text
from app.outbox.store import enqueue
from app.push.channel import enqueue_push
from app.settings import Settings


async def booking_confirmed(
    session: AsyncSession, booking: Booking, now: datetime, settings: Settings
) -> None:
    """A new booking: e-mail with `METHOD:REQUEST` (SEQUENCE as stored, 0 at first)."""
    await _fan_out(session, booking, now, settings, "booking_confirmed", _state_key(booking))
    await enqueue_publication(session, booking, now, "booking_confirmed")


async def booking_moved(
    session: AsyncSession,
    booking: Booking,
    now: datetime,
    settings: Settings,
    *,
    by_staff: bool = False,
) -> None:
    """The booking moved (call after its new start and incremented SEQUENCE are set):
    e-mail with `METHOD:REQUEST`, same UID. `by_staff`: an agent moved it, not the citizen
    (then a web push too)."""
    await _fan_out(
        session,
        booking,
        now,
        settings,
        "booking_moved",
        _state_key(booking),
        by_staff=by_staff,
        push=by_staff,
    )
    await enqueue_publication(session, booking, now, "booking_moved")


async def booking_cancelled(
    session: AsyncSession,
    booking: Booking,
    now: datetime,
    settings: Settings,
    *,
    by_staff: bool = False,
) -> None:
    """The booking was cancelled (call after status "cancelled" and SEQUENCE+1 are set):
    e-mail with `METHOD:CANCEL`, `STATUS:CANCELLED`. `by_staff`: an agent cancelled it
    (then a web push too)."""
    await _fan_out(
        session,
        booking,
        now,
        settings,
        "booking_cancelled",
        _state_key(booking),
        by_staff=by_staff,
        push=by_staff,
    )
    await enqueue_publication(session, booking, now, "booking_cancelled")


async def booking_reminder(
    session: AsyncSession, booking: Booking, now: datetime, settings: Settings
) -> bool:
    """The day-before reminder; one per booking and appointment time, ever. False when it
    was already enqueued (by this worker or another)."""
    key = f"reminder:{booking.uid}:{booking.start.isoformat()}"
    return await _fan_out(session, booking, now, settings, "reminder", key)


def _state_key(booking: Booking) -> str:
    return f"{booking.uid}:{booking.sequence}"


def organizer_for(scene: BookingScene, settings: Settings) -> Party:
    """The commune's own address when it has one (replies reach the town hall), else the
    platform's sender address."""
    email = scene.commune.contact_email or parseaddr(settings.mail.from_address)[1]
    return Party(scene.commune.name, email)


async def _fan_out(
    session: AsyncSession,
    booking: Booking,
    now: datetime,
    settings: Settings,
    kind: str,
    key: str,
    *,
    by_staff: bool = False,
    push: bool = True,
) -> bool:
    """Enqueues the e-mail (when the booking has an address: staff may book for someone
    who gave none), the SMS (to a mobile number, where the commune subscribed) and, with
    `push`, a web push to each browser subscribed to the booking. True when an e-mail or SMS
    was newly enqueued."""
    scene = await load_scene(session, booking)
    facts = booking_facts(scene, settings)
    calendar = method = None
    if booking.email and WORDINGS[kind].calendar:
        method = "CANCEL" if kind == "booking_cancelled" else "REQUEST"
        calendar = invitation(
            booking,
            scene.appointment_type,
            scene.site,
            scene.commune,
            now,
            method=method,
            organizer=organizer_for(scene, settings),
            attendee=Party(facts.citizen_name, booking.email),
        ).to_ical()
    email_key = f"{kind}:{key}:email"
    created = False
    if booking.email:
        message = compose_email(
            kind,
            facts,
            recipient=booking.email,
            sender=settings.mail.from_address,
            reply_to=scene.commune.contact_email,
            msgid=message_id(email_key, settings.uid_domain),
            now=now,
            calendar=calendar,
            method=method,
            by_staff=by_staff,
        )
        created = await enqueue(
            session,
            channel="email",
            kind=kind,
            dedupe_key=email_key,
            payload={"to": booking.email, "message": message.as_string()},
            now=now,
            booking_id=booking.id,
        )
    if scene.commune.sms_enabled and booking.phone and is_mobile(booking.phone):
        created = (
            await enqueue(
                session,
                channel="sms",
                kind=kind,
                dedupe_key=f"{kind}:{key}:sms",
                payload={
                    "to": booking.phone,
                    "text": sms_text(kind, facts),
                    "date": now.isoformat(),
                },
                now=now,
                booking_id=booking.id,
            )
            or created
        )
    if push:
        await enqueue_push(session, booking, now, kind, key, facts)
    return created
