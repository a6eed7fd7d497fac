"""Secret subscription feeds: a desk's or a site's bookings as one iCalendar file, the way
Outlook users "subscribe to an internet calendar".

The URL's only secret is a 256-bit random token; the database keeps its SHA-256 (a copy
of the database opens no feed), so a URL is shown once, when made. Revoking a feed makes
its URL answer 404 like any made-up one. The file is stable between changes (DTSTAMP is
the booking's creation), so its ETag lets clients skip unchanged downloads.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Timezone
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.calendar_sync.desk_event import chosen_details, desk_calendar
from app.calendar_sync.ics import PRODID
from app.db.models import AppointmentType, Booking, CalendarFeed, Desk, Site

FEED_PATH = "/agenda"
PAST_DAYS = 31
FUTURE_DAYS = 400
_TOKEN_IN_PATH = re.compile(r"(/agenda/)[A-Za-z0-9_-]+")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_urls(public_url: str, token: str) -> tuple[str, str]:
    """The https:// and webcal:// addresses of a feed."""
    https = f"{public_url}{FEED_PATH}/{token}.ics"
    parts = urlsplit(https)
    return https, f"webcal://{parts.netloc}{parts.path}"


async def create_feed(
    session: AsyncSession, now: datetime, *, desk_id: int | None = None, site_id: int | None = None
) -> str:
    """A new feed for one desk or one site; returns its token (not stored)."""
    if (desk_id is None) == (site_id is None):
        raise ValueError("a feed is for one desk or one site")
    token = secrets.token_urlsafe(32)
    session.add(CalendarFeed(token_hash=_hash(token), desk_id=desk_id, site_id=site_id,
                             created_at=now))  # fmt: skip
    await session.flush()
    return token


async def revoke_feeds(
    session: AsyncSession, now: datetime, *, desk_id: int | None = None, site_id: int | None = None
) -> int:
    feeds = (
        await session.execute(
            select(CalendarFeed).where(
                CalendarFeed.revoked_at.is_(None),
                CalendarFeed.desk_id == desk_id
                if desk_id is not None
                else CalendarFeed.site_id == site_id,
            )
        )
    ).scalars()
    count = 0
    for feed in feeds:
        feed.revoked_at = now
        count += 1
    return count


async def find_feed(session: AsyncSession, token: str) -> CalendarFeed | None:
    if not token or len(token) > 100:
        return None
    return (
        await session.execute(
            select(CalendarFeed).where(
                CalendarFeed.token_hash == _hash(token), CalendarFeed.revoked_at.is_(None)
            )
        )
    ).scalar()


async def feed_calendar(session: AsyncSession, feed: CalendarFeed, now: datetime) -> bytes:
    query = (
        select(Booking)
        .join(Desk, Desk.id == Booking.desk_id)
        .where(
            Booking.status == "confirmed",
            Booking.end > now - timedelta(days=PAST_DAYS),
            Booking.start < now + timedelta(days=FUTURE_DAYS),
        )
        .options(selectinload(Booking.type).selectinload(AppointmentType.site))
        .order_by(Booking.start, Booking.id)
    )
    if feed.desk_id is not None:
        query = query.where(Booking.desk_id == feed.desk_id)
        # A desk is deleted with its feeds, a site with its desks (foreign keys).
        desk = await session.get_one(Desk, feed.desk_id)
        name, site_id = desk.name, desk.site_id
    else:
        query = query.where(Desk.site_id == feed.site_id)
        site = await session.get_one(Site, feed.site_id)
        name, site_id = site.name, site.id
    commune_id = (await session.get_one(Site, site_id)).commune_id
    details = await chosen_details(session, commune_id)
    bookings = list((await session.execute(query)).scalars())

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Rendez-vous — {name}")
    calendar.add("refresh-interval", timedelta(minutes=30), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT30M")
    zones = sorted({booking.type.site.timezone for booking in bookings})
    if bookings:
        first = min(b.start for b in bookings).date() - timedelta(days=1)
        last = max(b.end for b in bookings).date() + timedelta(days=1)
        for zone in zones:
            calendar.add_component(Timezone.from_tzid(zone, first_date=first, last_date=last))
    for booking in bookings:
        event = desk_calendar(booking, booking.created_at, details).events[0]
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical


class RedactFeedTokens(logging.Filter):
    """Access logs print request paths; a feed's path is its secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_PATH.sub(r"\1…", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _TOKEN_IN_PATH.sub(r"\1…", record.msg)
        return True
