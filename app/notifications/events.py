"""The single place where a booking change fans out to channels.

A change (confirmed, moved, cancelled) writes one small "compose" row to the outbox inside
the transaction that changes the booking, so the messages exist if and only if the change
is committed; they are composed right after the commit (`compose_announced`), outside the
transaction and its locks, by the same request, or by the outbox worker if the process
died in between. What the citizen reads is the booking as that change left it: a message
whose booking has changed again since is not composed (the later change has its own).
Calling one twice for the same booking state enqueues nothing more (one dedupe key per
message). Reminders are composed by the worker that sends them, at once.

Channels: an e-mail always; an SMS too when the commune subscribed (`commune.sms_enabled`);
a web push to each browser subscribed to the booking for the confirmation and the reminder,
and for a move or cancellation only when staff made it (`by_staff=True`): the citizen who
changed the booking knows already.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parseaddr

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.booking.contact import is_mobile
from app.calendar_sync.channel import enqueue_publication
from app.calendar_sync.ics import Party, invitation
from app.db.models import Booking, OutboxMessage
from app.db.session import Database, after_commit, changed_rows
from app.email_headers import message_id
from app.notifications.email import WORDINGS, compose_email
from app.notifications.facts import BookingScene, booking_facts, load_scene
from app.notifications.sms import sms_text
from app.outbox.channels import Deliver
from app.outbox.store import PENDING, Delivery, Outgoing, enqueue, enqueue_all
from app.push.channel import push_messages
from app.settings import Settings

COMPOSE = "compose"  # the outbox channel of changes whose messages are still to be composed
# The worker leaves a "compose" row this long to the request that wrote it.
COMPOSE_GRACE = timedelta(seconds=30)


async def booking_confirmed(
    session: AsyncSession, booking: Booking, now: datetime, settings: Settings
) -> None:
    """A new booking: e-mail with `METHOD:REQUEST` (SEQUENCE as stored, 0 at first)."""
    await _announce(session, booking, now, settings, "booking_confirmed")
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
    await _announce(session, booking, now, settings, "booking_moved", by_staff=by_staff)
    await enqueue_publication(session, booking, now, "booking_moved")


async def booking_cancelled(
    session: AsyncSession,
    booking: Booking,
    now: datetime,
    settings: Settings,
    *,
    by_staff: bool = False,
    at_once: bool = False,
) -> None:
    """The booking was cancelled (call after status "cancelled" and SEQUENCE+1 are set):
    e-mail with `METHOD:CANCEL`, `STATUS:CANCELLED`. `by_staff`: an agent cancelled it
    (then a web push too). `at_once`: composed now, in the transaction, because the
    transaction goes on to erase what the message needs (a GDPR erasure)."""
    await _announce(
        session, booking, now, settings, "booking_cancelled", by_staff=by_staff, at_once=at_once
    )
    await enqueue_publication(session, booking, now, "booking_cancelled")


async def booking_reminder(
    session: AsyncSession, booking: Booking, now: datetime, settings: Settings
) -> bool:
    """The day-before reminder; one per booking and appointment time, ever. False when it
    was already enqueued (by this worker or another)."""
    key = f"reminder:{booking.uid}:{booking.start.isoformat()}"
    messages = await compose_messages(session, booking, now, settings, "reminder", key)
    spoken = [message for message in messages if message.channel != "push"]
    pushed = [message for message in messages if message.channel == "push"]
    created = await enqueue_all(session, spoken, now, booking.id)
    await enqueue_all(session, pushed, now, booking.id)
    return created


def sms_recipient(sms_enabled: bool, phone: str | None) -> str | None:
    """The number the SMS about a booking goes to: its mobile number, where the commune
    subscribed to SMS; else None (no SMS)."""
    return phone if sms_enabled and phone and is_mobile(phone) else None


def _state_key(booking: Booking) -> str:
    return f"{booking.uid}:{booking.sequence}"


def organizer_for(scene: BookingScene, settings: Settings) -> Party:
    """The commune, at the address the e-mail comes from: an ORGANIZER other than the
    sender is flagged by some clients. People's replies reach the town hall by the
    message's Reply-To (its contact address)."""
    return Party(scene.commune.name, parseaddr(settings.mail.from_address)[1])


async def _announce(
    session: AsyncSession,
    booking: Booking,
    now: datetime,
    settings: Settings,
    kind: str,
    *,
    by_staff: bool = False,
    at_once: bool = False,
) -> None:
    """Records that the booking's change must be told (a web push too for the confirmation
    and for what staff did), and composes it once the transaction has committed (with
    `at_once`, in the transaction)."""
    push = by_staff or kind == "booking_confirmed"
    if at_once:
        messages = await compose_messages(
            session, booking, now, settings, kind, _state_key(booking), by_staff=by_staff, push=push
        )
        await enqueue_all(session, messages, now, booking.id)
        return
    dedupe_key = f"{kind}:{_state_key(booking)}:{COMPOSE}"
    await enqueue(
        session,
        channel=COMPOSE,
        kind=kind,
        dedupe_key=dedupe_key,
        payload={
            "booking_id": booking.id,
            "sequence": booking.sequence,
            "by_staff": by_staff,
            "push": push,
            "at": now.isoformat(),
        },
        now=now + COMPOSE_GRACE,
        booking_id=booking.id,
    )

    async def compose_now(db: Database) -> None:
        await compose_announced(db, settings, dedupe_key)

    after_commit(session, compose_now)


async def compose_announced(db: Database, settings: Settings, dedupe_key: str) -> None:
    """Turns a "compose" row into its messages (e-mail, SMS, push), unless another worker
    did it already. Reads and composes outside any write transaction; the write is a few
    inserts."""
    async with db.read() as session:
        row = (
            await session.execute(
                select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
            )
        ).scalar()
        if row is None or row.status != PENDING:
            return
        facts = row.payload
        at = datetime.fromisoformat(facts["at"])
        booking = await session.get(Booking, int(facts["booking_id"]))
        messages: list[Outgoing] = []
        if booking is not None and booking.sequence == int(facts["sequence"]):
            messages = await compose_messages(
                session,
                booking,
                at,
                settings,
                row.kind,
                _state_key(booking),
                by_staff=bool(facts["by_staff"]),
                push=bool(facts["push"]),
            )
    async with db.write() as session:
        # Gone once composed: the outbox then holds the messages themselves, as if composed
        # in the transaction (a replay is still harmless: each message has its dedupe key).
        taken = await changed_rows(
            session,
            delete(OutboxMessage).where(
                OutboxMessage.id == row.id, OutboxMessage.status == PENDING
            ),
        )
        if taken:
            await enqueue_all(session, messages, at, row.booking_id)


def compose_channel(db: Database, settings: Settings) -> Deliver:
    """The outbox channel that composes what a request could not (its process died)."""

    async def deliver(delivery: Delivery) -> None:
        await compose_announced(db, settings, delivery.dedupe_key)

    return deliver


async def compose_messages(
    session: AsyncSession,
    booking: Booking,
    now: datetime,
    settings: Settings,
    kind: str,
    key: str,
    *,
    by_staff: bool = False,
    push: bool = True,
) -> list[Outgoing]:
    """The e-mail (when the booking has an address: staff may book for someone who gave
    none), the SMS (to a mobile number, where the commune subscribed) and, with `push`, a
    web push to each browser subscribed to the booking."""
    scene = await load_scene(session, booking)
    facts = booking_facts(scene, settings)
    messages: list[Outgoing] = []
    if booking.email:
        calendar = method = None
        if WORDINGS[kind].calendar:
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
        messages.append(
            Outgoing(
                "email", kind, email_key, {"to": booking.email, "message": message.as_string()}
            )
        )
    if sms_to := sms_recipient(scene.commune.sms_enabled, booking.phone):
        messages.append(
            Outgoing(
                "sms",
                kind,
                f"{kind}:{key}:sms",
                {"to": sms_to, "text": sms_text(kind, facts), "date": now.isoformat()},
            )
        )
    if push:
        messages += await push_messages(session, booking, kind, key, facts)
    return messages
