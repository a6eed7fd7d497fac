"""200 citizens confirm at the same moment for 20 places, over HTTP against the real server
(`creneau serve`, the database of the run: SQLite, or PostgreSQL with TEST_DATABASE_URL).
Exactly 20 bookings, 180 clear refusals, not one error response. Each citizen comes from
an address of their own (X-Forwarded-For from the loopback, declared a trusted proxy), as
they would through the town's reverse proxy: the per-address limits see 200 people."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta

import httpx
from sqlalchemy import func, select, update

from app.booking.catalogue import get_type
from app.booking.drafts import DraftStore
from app.booking.planning import WeekPlanner
from app.db.models import AppointmentType, Booking
from app.db.session import Database
from tests.conftest import FIXED_NOW
from tests.integration.helpers import CCAS, PATHS, answered_draft, text_of
from tests.server import running_server

CITIZENS = 200
PLACES = 20
TAKEN = "Ce créneau vient d'être pris par quelqu'un d'autre."
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def _prepare(database_url: str) -> tuple[list[str], datetime]:
    """Opens 20 places on the CCAS type's first free slot; 200 drafts ready to confirm it."""
    db = Database(database_url)
    try:
        now = FIXED_NOW  # the server's instant too (CRENEAU_FROZEN_NOW)
        async with db.write() as session:
            await session.execute(
                update(AppointmentType).where(AppointmentType.title == CCAS).values(capacity=PLACES)
            )
        async with db.read() as session:
            type_id = (
                await session.execute(
                    select(AppointmentType.id).where(AppointmentType.title == CCAS)
                )
            ).scalar_one()
            ccas = await get_type(session, type_id)
            slot = await WeekPlanner(session, ccas, 1, now).first_free_slot()
        store = DraftStore(db, timedelta(hours=1))
        tokens = []
        for n in range(CITIZENS):
            state = answered_draft(type_id, n, slot.start.isoformat())
            token, _ = await store.create(state, now)
            tokens.append(token)
        return tokens, slot.start
    finally:
        await db.dispose()


def _client(base_url: str) -> httpx.AsyncClient:
    """A fresh client per phase: the server closes idle keep-alive connections."""
    limits = httpx.Limits(max_connections=CITIZENS, max_keepalive_connections=CITIZENS)
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120)


async def _in_batches(calls, size: int = 20) -> list:
    results = []
    for start in range(0, len(calls), size):
        results += await asyncio.gather(*(call() for call in calls[start : start + size]))
    return results


def _address(citizen: int) -> str:
    return f"198.51.{100 + citizen // 250}.{citizen % 250 + 1}"


async def _open_recaps(base_url: str, tokens: list[str]) -> list[tuple[str, str]]:
    """Each citizen opens the recap: (their headers: cookies and address; the form's CSRF
    token)."""
    async with _client(base_url) as client:

        async def recap(citizen: int, token: str) -> tuple[dict[str, str], str]:
            response = await client.get(PATHS[6], headers={"Cookie": f"creneau_brouillon={token}"})
            assert response.status_code == 200, response.status_code
            client.cookies.clear()
            cookie = response.cookies["creneau_csrf"]
            form_token = CSRF_FIELD.search(response.text).group(1)
            headers = {
                "Cookie": f"creneau_brouillon={token}; creneau_csrf={cookie}",
                "X-Forwarded-For": _address(citizen),
            }
            return headers, form_token

        return await _in_batches([lambda n=n, t=t: recap(n, t) for n, t in enumerate(tokens)])


async def _confirm_at_once(base_url: str, citizens: list[tuple[str, str]]) -> list:
    async with _client(base_url) as client:
        go = asyncio.Event()

        async def confirm(headers: dict[str, str], form_token: str) -> httpx.Response:
            await go.wait()
            return await client.post(PATHS[6], data={"_csrf_token": form_token}, headers=headers)

        tasks = [asyncio.create_task(confirm(*citizen)) for citizen in citizens]
        await asyncio.sleep(0.1)  # every request is waiting for the start
        go.set()
        return await asyncio.gather(*tasks)


async def _step5_pages(base_url: str, citizens: list[tuple[str, str]]) -> list[str]:
    async with _client(base_url) as client:

        async def step5(headers: dict[str, str]) -> str:
            return (await client.get(PATHS[5], headers=headers)).text

        return await _in_batches([lambda c=c: step5(c[0]) for c in citizens])


async def _rush(base_url: str, tokens: list[str]) -> tuple[list[httpx.Response], list[str]]:
    citizens = await _open_recaps(base_url, tokens)
    responses = await _confirm_at_once(base_url, citizens)
    refused = [
        citizen
        for citizen, response in zip(citizens, responses, strict=True)
        if response.headers.get("location") == PATHS[5]
    ]
    return responses, await _step5_pages(base_url, refused)


async def _count(database_url: str, start: datetime) -> int:
    db = Database(database_url)
    try:
        async with db.read() as session:
            return (
                await session.execute(
                    select(func.count(Booking.id)).where(
                        Booking.start == start, Booking.status == "confirmed"
                    )
                )
            ).scalar_one()
    finally:
        await db.dispose()


def test_two_hundred_confirmations_for_twenty_places(database_url, tmp_path):
    secret = {"CRENEAU_SECRET_KEY": "test-secret-key-not-for-production-0123456789"}
    proxy = {"CRENEAU_TRUSTED_PROXIES": "127.0.0.1"}
    with running_server(tmp_path, DATABASE_URL=database_url, **secret, **proxy) as base_url:
        tokens, start = asyncio.run(_prepare(database_url))
        responses, refusal_pages = asyncio.run(_rush(base_url, tokens))

    assert [r.status_code for r in responses] == [303] * CITIZENS  # no error response
    locations = [r.headers["location"] for r in responses]
    assert locations.count(PATHS[7]) == PLACES
    assert locations.count(PATHS[5]) == CITIZENS - PLACES
    assert all(TAKEN in text_of(page) for page in refusal_pages)
    assert asyncio.run(_count(database_url, start)) == PLACES
