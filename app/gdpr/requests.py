"""A citizen's request about their data (RGPD articles 15, 17 and 20), handled by an
administrator: find their bookings by e-mail or phone, hand them a copy (JSON or CSV),
erase them.

Erasure and future appointments: a future booking kept without a name could not be
honoured at the counter, and silently dropping it would leave the person waiting for an
appointment that no longer exists. So erasure first cancels the person's future
bookings, with the usual cancellation e-mail (and SMS) — the last message they get —
then anonymises every booking at once. The composed cancellation message is the only copy
left; it is deleted by the daily retention pass once it has left. Without an SMTP server,
the person's files in the development mailbox are deleted once the erasure is committed,
and the file of that last message by the daily pass after it is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.db.models import AppointmentType, Booking
from app.db.session import Database, after_commit
from app.gdpr.anonymise import anonymise
from app.notifications import events, mailbox
from app.reports.csv_export import bookings_csv
from app.reports.rows import BookingRow, bookings_by_id
from app.settings import Settings


@dataclass(frozen=True)
class Lookup:
    """Who the request is about: an e-mail address, or a phone number in E.164."""

    email: str = ""
    phone: str = ""

    @property
    def shown(self) -> str:
        return self.email or self.phone


class InvalidLookup(ValueError):
    """The text is neither an e-mail address nor a phone number (French message)."""


def parse_lookup(text: str) -> Lookup:
    value = (text or "").strip()
    if not value:
        raise InvalidLookup("Indiquez l'adresse électronique ou le numéro de téléphone.")
    if "@" in value:
        try:
            checked = validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            raise InvalidLookup(
                "Cette adresse électronique n'est pas valide (exemple : nom@domaine.fr)."
            ) from None
        return Lookup(email=checked.normalized.lower())
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidLookup("Ce numéro de téléphone n'est pas valide (exemple : 06 12 34 56 78).")
    return Lookup(phone=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


async def find_booking_ids(session: AsyncSession, lookup: Lookup) -> list[int]:
    """The person's bookings still holding personal data, oldest appointment first."""
    match = (
        func.lower(Booking.email) == lookup.email if lookup.email else Booking.phone == lookup.phone
    )
    return list(
        (
            await session.execute(
                select(Booking.id)
                .where(match, Booking.anonymised_at.is_(None))
                .order_by(Booking.start, Booking.id)
            )
        ).scalars()
    )


async def find_bookings(session: AsyncSession, lookup: Lookup) -> list[BookingRow]:
    rows = await bookings_by_id(session, await find_booking_ids(session, lookup))
    return sorted(rows, key=lambda row: (row.start, row.reference))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def export_json(lookup: Lookup, rows: list[BookingRow], now: datetime) -> bytes:
    """Everything held about the person, in a structured, machine-readable form."""
    document = {
        "demande": {"recherche": lookup.shown, "exporte_le": now.isoformat()},
        "rendez_vous": [
            {
                "reference": row.reference,
                "debut": _iso(row.start),
                "fin": _iso(row.end),
                "site": row.site,
                "guichet": row.desk,
                "type": row.type_title,
                "personnes": row.people,
                "nom": row.last_name,
                "prenom": row.first_name,
                "email": row.email,
                "telephone": row.phone,
                "informations_complementaires": dict(row.extra),
                "statut": row.status,
                "presence": row.attendance,
                "pris_par_le_personnel": row.by_staff,
                "cree_le": _iso(row.created_at),
                "annule_le": _iso(row.cancelled_at),
                "annule_par": row.cancelled_by,
            }
            for row in rows
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def export_csv(rows: list[BookingRow]) -> bytes:
    return bookings_csv(rows)


@dataclass(frozen=True)
class ErasurePlan:
    booking_ids: list[int]
    future_ids: list[int]  # confirmed and not yet begun: cancelled first, person notified


async def erasure_plan(session: AsyncSession, lookup: Lookup, now: datetime) -> ErasurePlan:
    ids = await find_booking_ids(session, lookup)
    future = (
        await session.execute(
            select(Booking.id).where(
                Booking.id.in_(ids), Booking.status == "confirmed", Booking.start > now
            )
        )
    ).scalars()
    return ErasurePlan(ids, list(future))


async def erase(
    session: AsyncSession, plan: ErasurePlan, now: datetime, settings: Settings
) -> tuple[int, int]:
    """Cancels the future bookings (notified), then anonymises them all, in the caller's
    transaction. Returns (erased, cancelled)."""
    cancelled = 0
    if plan.future_ids:
        future = (
            await session.execute(
                select(Booking)
                .where(
                    Booking.id.in_(plan.future_ids),
                    Booking.status == "confirmed",
                    Booking.start > now,
                )
                .options(selectinload(Booking.type).selectinload(AppointmentType.site))
                .with_for_update(of=Booking)
            )
        ).scalars()
        for booking in future:
            booking.status = "cancelled"
            booking.cancelled_at = now
            booking.cancelled_by_staff = True
            booking.sequence += 1
            await session.flush()
            await events.booking_cancelled(
                session, booking, now, settings, by_staff=True, at_once=True
            )
            cancelled += 1
    erased = await anonymise(session, plan.booking_ids, now, keep_pending_messages=True)
    directory, ids = mailbox.mailbox_dir(settings.data_dir), set(plan.booking_ids)

    async def erase_files(_db: Database) -> None:
        # Redone by the daily retention pass if the process dies before (decision 90).
        mailbox.erase_bookings(directory, ids)

    after_commit(session, erase_files)
    return erased, cancelled
