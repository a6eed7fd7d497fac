"""Real CalDAV servers (Radicale and Xandikos) and a demo commune for the bridge's tests.
Every server-backed test runs once per server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy import select

from app.calendar_sync.client import discover
from app.calendar_sync.connections import save_connection
from app.db.models import AppointmentType, Desk
from app.db.session import Database
from app.demo import load_demo
from tests.calendar_servers import CalendarServer
from tests.days import TODAY
from tests.instant import FIXED_NOW

CCAS_DESK = "Accueil CCAS"
CCAS_TYPE = "CCAS — aide sociale"


@pytest.fixture(scope="session", params=["radicale", "xandikos"])
def caldav_server(request, tmp_path_factory) -> Iterator[CalendarServer]:
    server = CalendarServer(request.param, tmp_path_factory.mktemp(request.param)).start()
    yield server
    server.stop()


def run(coroutine_function, settings, *args):
    """Runs `coroutine_function(db, *args)` on a fresh Database and event loop."""

    async def go():
        db = Database(settings.database_url)
        try:
            return await coroutine_function(db, *args)
        finally:
            await db.dispose()

    return asyncio.run(go())


@pytest.fixture
def commune(settings):
    """The demo commune, loaded without starting the web application, as on the day of
    the suite's instant."""
    run(lambda db: load_demo(db, TODAY), settings)
    return settings


async def desk_named(db: Database, name: str) -> Desk:
    async with db.read() as session:
        return (await session.execute(select(Desk).where(Desk.name == name))).scalar_one()


async def type_titled(session, title: str) -> AppointmentType:
    return (
        await session.execute(select(AppointmentType).where(AppointmentType.title == title))
    ).scalar_one()


def connect_desk(
    settings,
    server: CalendarServer,
    *,
    read: list[str],
    publish: str = "",
    user: str = "alice",
    password: str | None = None,
    all_busy: bool = False,
    desk: str = CCAS_DESK,
    base_url: str | None = None,
    now: datetime = FIXED_NOW,
) -> int:
    account = server.account(user, password)
    if base_url:
        account = replace(account, url=base_url)

    async def go(db):
        desk_id = (await desk_named(db, desk)).id
        async with db.write() as session:
            connection = await save_connection(
                session,
                settings,
                desk_id=desk_id,
                server_url=discover(account),
                username=account.username,
                password=account.password,
                publish_calendar_url=publish,
                read_calendar_urls=read,
                all_busy=all_busy,
                agent_email="accueil@mairie-exemple.fr",
                now=now,
            )
            return connection.id

    return run(go, settings)


@pytest.fixture
def calendar_settings(commune, caldav_server):
    """The application's settings, trusting the test server's certificate."""
    return replace(
        commune, caldav_ca_bundle=caldav_server.ca_bundle or "", caldav_timeout_seconds=10
    )
