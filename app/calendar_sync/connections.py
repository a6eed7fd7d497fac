"""Calendar connections in the database: adding one, and the account it opens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.calendar_sync.client import Account
from app.calendar_sync.credentials import decrypt_password, encrypt_password
from app.db.models import CalendarConnection, CalendarSource
from app.settings import Settings


def account_of(connection: CalendarConnection, settings: Settings) -> Account:
    return Account(
        url=connection.server_url,
        username=connection.username,
        password=decrypt_password(settings.secret_key, connection.password_encrypted),
        timeout=settings.caldav_timeout_seconds,
        ca_bundle=settings.caldav_ca_bundle or None,
        listing_timeout=max(
            settings.caldav_listing_timeout_seconds, settings.caldav_timeout_seconds
        ),
    )


async def save_connection(
    session: AsyncSession,
    settings: Settings,
    *,
    desk_id: int,
    server_url: str,
    username: str,
    password: str,
    publish_calendar_url: str,
    read_calendar_urls: list[str],
    all_busy: bool,
    agent_email: str,
    now: datetime,
) -> CalendarConnection:
    """Creates or replaces the desk's connection. Read calendars that stay keep their
    stored objects and sync token; the others are dropped with their absences."""
    connection = await load_connection(session, desk_id)
    if connection is None:
        connection = CalendarConnection(desk_id=desk_id, created_at=now, sources=[])
        session.add(connection)
    connection.server_url = server_url
    connection.username = username
    connection.password_encrypted = encrypt_password(settings.secret_key, password)
    connection.publish_calendar_url = publish_calendar_url
    connection.all_busy = all_busy
    connection.agent_email = agent_email
    connection.enabled = True
    connection.status = "ok"
    connection.last_error = ""
    connection.consecutive_failures = 0
    wanted = list(dict.fromkeys(read_calendar_urls))
    connection.sources = [s for s in connection.sources if s.url in wanted] + [
        CalendarSource(url=url)
        for url in wanted
        if url not in {source.url for source in connection.sources}
    ]
    await session.flush()
    return connection


async def load_connection(session: AsyncSession, desk_id: int) -> CalendarConnection | None:
    return (
        await session.execute(
            select(CalendarConnection)
            .where(CalendarConnection.desk_id == desk_id)
            .options(selectinload(CalendarConnection.sources))
        )
    ).scalar()
