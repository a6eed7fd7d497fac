"""Full and incremental import of a 5,000-event calendar from a real Radicale server.

    .venv/bin/python -m bench.bench_caldav_sync [--events 5000]

Radicale is started on a free port of 127.0.0.1 with a temporary storage; the events
(one in five a weekly recurrence, the rest single events over the booking horizon) are
written straight into its storage folder, then synced through an HTTP proxy that counts
the requests. Measured: the first (full) sync, then an incremental sync after one event
changed, then one after nothing changed. The incremental sync must cost in proportion to
the changes (requests, objects downloaded), not to the calendar.

Meanwhile a "citizen" thread writes to the database every 50 ms, as a booking does (one
short `BEGIN IMMEDIATE` transaction on SQLite): its longest wait is printed per sync. A
citizen must never wait more than a fraction of a second on a sync.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.calendar_sync import importer
from app.calendar_sync.client import discover, fetch_changes
from app.calendar_sync.connections import save_connection
from app.calendar_sync.importer import sync_connection
from app.db.migrate import upgrade
from app.db.models import BlockedInterval, Desk
from app.db.session import Database
from app.demo import load_demo
from app.settings import Settings
from tests.calendar_servers import CalendarServer
from tests.faulty_proxy import FaultyProxy

NOW = datetime(2026, 11, 30, 7, tzinfo=UTC)

EVENT = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//bench//FR\r
BEGIN:VTIMEZONE\r
TZID:Europe/Paris\r
BEGIN:DAYLIGHT\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
TZNAME:CEST\r
DTSTART:19700329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
BEGIN:STANDARD\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
TZNAME:CET\r
DTSTART:19701025T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:bench-{n}@example.org\r
DTSTAMP:20261101T000000Z\r
DTSTART;TZID=Europe/Paris:{start}\r
DTEND;TZID=Europe/Paris:{end}\r
{rule}SUMMARY:Évènement {n}{suffix}\r
END:VEVENT\r
END:VCALENDAR\r
"""


def event(n: int, suffix: str = "") -> str:
    day = date(2026, 12, 1) + timedelta(days=n % 60)
    hour = 8 + n % 9
    start = f"{day:%Y%m%d}T{hour:02d}0000"
    end = f"{day:%Y%m%d}T{hour:02d}3000"
    rule = "RRULE:FREQ=WEEKLY;COUNT=20\r\n" if n % 5 == 0 else ""
    return EVENT.format(n=n, start=start, end=end, rule=rule, suffix=suffix)


def calendar_folder(server: CalendarServer, url: str) -> Path:
    path = url.split(f":{server.port}/", 1)[1].strip("/")
    return server.root / "collections" / "collection-root" / path


async def run(events: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-caldav-"))
    (workdir / "radicale").mkdir()
    server = CalendarServer("radicale", workdir / "radicale").start()
    try:
        calendar = server.new_calendar(name="Bench")
        folder = calendar_folder(server, calendar)
        for n in range(events):
            (folder / f"event-{n}.ics").write_text(event(n), encoding="utf-8")

        url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        settings = Settings(
            data_dir=workdir, database_url=url, secret_key="bench-" * 8,
            caldav_timeout_seconds=900,
        )  # fmt: skip
        db = Database(url)
        await load_demo(db, NOW.date())
        with FaultyProxy(server.port) as proxy:
            proxied = calendar.replace(f":{server.port}/", f":{proxy.port}/")
            account = replace(server.account(), url=f"http://127.0.0.1:{proxy.port}/")
            async with db.write() as session:
                desk = (
                    await session.execute(select(Desk).where(Desk.name == "Accueil CCAS"))
                ).scalar_one()
                connection = await save_connection(
                    session, settings, desk_id=desk.id, server_url=discover(account),
                    username=account.username, password=account.password,
                    publish_calendar_url="", read_calendar_urls=[proxied], all_busy=False,
                    agent_email="", now=NOW,
                )  # fmt: skip
                connection_id = connection.id

            network = [0.0]

            def timed(real):
                def call(*args, **kwargs):
                    started = time.perf_counter()
                    try:
                        return real(*args, **kwargs)
                    finally:
                        network[0] += time.perf_counter() - started

                return call

            importer.list_changes = timed(importer.list_changes)
            importer.download = timed(importer.download)

            def citizen(stop: threading.Event, waits: list[float]) -> None:
                path = str(workdir / "bench.db")
                with sqlite3.connect(path, timeout=60, isolation_level=None) as connection:
                    while not stop.wait(0.05):
                        started = time.perf_counter()
                        connection.execute("BEGIN IMMEDIATE")
                        connection.execute("UPDATE commune SET contact_phone = contact_phone")
                        connection.execute("COMMIT")
                        waits.append(time.perf_counter() - started)

            async def measured(label: str) -> None:
                before = proxy.requests
                network[0] = 0.0
                stop, waits = threading.Event(), [0.0]
                writer = threading.Thread(target=citizen, args=(stop, waits))
                writer.start()
                started = time.perf_counter()
                try:
                    report = await sync_connection(db, settings, connection_id, NOW)
                finally:
                    stop.set()
                    writer.join()
                elapsed = time.perf_counter() - started
                async with db.read() as session:
                    blocked = (
                        await session.execute(select(func.count(BlockedInterval.id)))
                    ).scalar()
                assert report.ok, report.message
                print(
                    f"{label:<32} {elapsed * 1000:8.0f} ms (server {network[0] * 1000:6.0f} ms, "
                    f"ours {(elapsed - network[0]) * 1000:6.0f} ms)  "
                    f"{proxy.requests - before:3d} requests  "
                    f"{report.changed:5d} objects fetched  {report.deleted} deleted  "
                    f"{blocked} absences  citizen's longest wait {max(waits) * 1000:5.0f} ms"
                )

            print(f"calendar: {events} events ({events // 5} weekly recurrences), Radicale, SQLite")
            # Radicale parses files it has never served once, then caches them: warm it up
            # first so the figures measure the sync, not Radicale's first reading.
            started = time.perf_counter()
            warm = replace(account, url=calendar, timeout=900)
            await asyncio.to_thread(fetch_changes, warm, calendar, None, {})
            warm_ms = (time.perf_counter() - started) * 1000
            print(f"{'(Radicale cache warm-up, not ours)':<32} {warm_ms:8.0f} ms")
            await measured("full sync (first)")
            await measured("incremental, nothing changed")
            server.put_raw(calendar, "event-7.ics", event(7, " (modifié)"))
            await measured("incremental, one event changed")
            server.delete_raw(calendar.rstrip("/") + "/event-8.ics")
            await measured("incremental, one event deleted")
        await db.dispose()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    asyncio.run(run(parser.parse_args().events))


if __name__ == "__main__":
    main()
