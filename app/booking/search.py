"""Finding bookings for an agent: by name, reference, e-mail or phone number.

What was typed is read the way it is stored: a reference in Crockford's alphabet (case,
spaces, dashes and the "RDV" prefix do not matter; O is 0, I and L are 1), an e-mail
lower-cased, a phone number in E.164 (`contact.normalise_phone`, landlines included), a
name without case or accents ("lefevre" finds Lefèvre). Anything that could be several of
these is searched as each of them.

Names are compared in Python: SQLite's lower() knows only ASCII and accent folding differs
between databases. Only the id and the two names of the visible sites' bookings are read
for that, then the matching bookings themselves.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.booking.catalogue import MAX_ID
from app.booking.changes import visible
from app.booking.contact import normalise_phone
from app.db.models import AppointmentType, AuditEvent, Booking, Desk

MAX_RESULTS = 50
MIN_NAME_LENGTH = 2
MAX_QUERY_LENGTH = 200
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_PHONE_CHARS = re.compile(r"^[+0-9 ().\-/]+$")


@dataclass(frozen=True)
class SearchTerms:
    """What a typed text may be; empty fields are not searched."""

    text: str
    reference: str = ""
    email: str = ""
    phone: str = ""
    name_tokens: tuple[str, ...] = ()

    @property
    def searchable(self) -> bool:
        return bool(self.reference or self.email or self.phone or self.name_tokens)


@dataclass(frozen=True)
class SearchResults:
    bookings: list[Booking]
    truncated: bool  # more than MAX_RESULTS matched


def fold(value: str) -> str:
    """Lower case, accents removed, hyphens and apostrophes as spaces, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[-'’_.,]", " ", bare).split())


def reference_of(text: str) -> str:
    """ "RDV-7K3M-Q9P2" for anything that spells it, else ""."""
    compact = re.sub(r"[\s\-_.]", "", text.upper())
    if compact.startswith("RDV"):
        compact = compact[3:]
    compact = compact.translate(_CONFUSABLE)
    if len(compact) != 8 or any(c not in _CROCKFORD for c in compact):
        return ""
    return f"RDV-{compact[:4]}-{compact[4:]}"


def interpret(text: str) -> SearchTerms:
    text = " ".join(text.split())[:MAX_QUERY_LENGTH]
    if not text:
        return SearchTerms(text)
    if "@" in text:
        return SearchTerms(text, email=text.lower())
    phone = ""
    if _PHONE_CHARS.match(text) and sum(c.isdigit() for c in text) >= 6:
        phone = normalise_phone(text, mobile_only=False) or ""
    tokens = tuple(fold(text).split()) if any(c.isalpha() for c in text) else ()
    if tokens and len("".join(tokens)) < MIN_NAME_LENGTH:
        tokens = ()
    return SearchTerms(text, reference=reference_of(text), phone=phone, name_tokens=tokens)


def name_matches(tokens: tuple[str, ...], first_name: str, last_name: str) -> bool:
    """Every typed word is the start of a word of the name ("mar dup" finds Marie Dupont)."""
    words = fold(f"{first_name} {last_name}").split()
    return all(any(word.startswith(token) for word in words) for token in tokens)


async def search_bookings(
    session: AsyncSession, terms: SearchTerms, site_ids: set[int] | None, now: datetime
) -> SearchResults:
    """Bookings of the visible sites (None: all) matching any reading of the terms:
    upcoming ones first (soonest first), then past ones (latest first)."""
    if not terms.searchable:
        return SearchResults([], False)
    visible = [] if site_ids is None else [Desk.site_id.in_(site_ids or {0})]
    criteria = []
    if terms.reference:
        criteria.append(Booking.reference == terms.reference)
    if terms.email:
        criteria.append(func.lower(Booking.email).contains(terms.email, autoescape=True))
    if terms.phone:
        criteria.append(Booking.phone == terms.phone)
    many_names = False
    if terms.name_tokens:
        rows = (
            await session.execute(
                select(
                    Booking.id, Booking.first_name, Booking.last_name, Booking.start, Booking.end
                )
                .join(Desk, Desk.id == Booking.desk_id)
                .where(Booking.anonymised_at.is_(None), *visible)
            )
        ).all()
        matching = _ordered(
            [row for row in rows if name_matches(terms.name_tokens, row[1], row[2])], now
        )
        many_names = len(matching) > MAX_RESULTS
        if matching:
            criteria.append(Booking.id.in_([row.id for row in matching[:MAX_RESULTS]]))
    if not criteria:
        return SearchResults([], False)
    found = list(
        (
            await session.execute(
                select(Booking)
                .join(Desk, Desk.id == Booking.desk_id)
                .where(or_(*criteria), *visible)
                .options(
                    selectinload(Booking.type).selectinload(AppointmentType.site),
                    selectinload(Booking.desk),
                )
            )
        ).scalars()
    )
    ordered = _ordered(found, now)
    return SearchResults(ordered[:MAX_RESULTS], many_names or len(ordered) > MAX_RESULTS)


def _ordered(items: list[Any], now: datetime) -> list[Any]:
    """Upcoming first (soonest first), then past (latest first)."""
    upcoming = sorted((b for b in items if b.end > now), key=lambda b: (b.start, b.id))
    past = sorted((b for b in items if b.end <= now), key=lambda b: (b.start, b.id), reverse=True)
    return upcoming + past


async def booking_for_staff(
    session: AsyncSession, booking_id: int, site_ids: set[int] | None
) -> Booking | None:
    """One booking with its type, site and desk, if it exists on a site the member sees."""
    if not 0 < booking_id <= MAX_ID:
        return None
    booking = (
        await session.execute(
            select(Booking)
            .where(Booking.id == booking_id)
            .options(
                selectinload(Booking.type).selectinload(AppointmentType.site),
                selectinload(Booking.desk),
            )
        )
    ).scalar()
    return booking if visible(booking, site_ids) else None


async def booking_history(session: AsyncSession, booking_id: int) -> list[AuditEvent]:
    """What staff did to the booking, oldest first (the audit trail's events about it)."""
    return list(
        (
            await session.execute(
                select(AuditEvent)
                .where(AuditEvent.target == f"booking:{booking_id}")
                .order_by(AuditEvent.at, AuditEvent.id)
            )
        ).scalars()
    )
