"""The reference data is cached per process (app.booking.reference) and every change the
back office makes is seen by the very next request: through the same database object, or
through another one on the same database (another process), whether the change was made
on ORM objects or by an UPDATE / DELETE statement."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date, time, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import delete, event, or_, select, update

from app.asgi import create_app
from app.booking.catalogue import get_type
from app.booking.planning import build_query, public_holidays
from app.booking.reference import planning_reference, reference
from app.db.models import (
    AppointmentType,
    Closure,
    Commune,
    Desk,
    DeskType,
    Draft,
    OpeningRule,
    Site,
)
from app.db.reference_version import REFERENCE_TABLES, current_version
from app.db.session import Database
from app.demo import load_demo
from tests.days import SUNDAY, TODAY, open_day, slot
from tests.instant import FIXED_NOW
from tests.integration.changes_helpers import offered_in_week
from tests.integration.config_helpers import admin, post_form
from tests.integration.flow import walk_to_slots
from tests.integration.helpers import CCAS, PATHS, execute, text_of

Scenario = Callable[[Database, Database], Awaitable[None]]


def with_two_databases(url: str, scenario: Scenario) -> None:
    """Runs `scenario(first, second)`: two Database objects on one database, as two
    processes have (each its own engines, sessions and cache)."""

    async def run() -> None:
        first, second = Database(url), Database(url)
        try:
            await load_demo(first, TODAY)
            await scenario(first, second)
        finally:
            await first.dispose()
            await second.dispose()

    asyncio.run(run())


async def type_titled(db: Database, title: str) -> AppointmentType:
    async with db.read() as session:
        return (
            await session.execute(select(AppointmentType).where(AppointmentType.title == title))
        ).scalar_one()


async def version(db: Database) -> str | None:
    async with db.read() as session:
        return await current_version(session)


def test_an_orm_change_made_through_one_database_is_read_through_the_other(settings):
    async def scenario(first: Database, second: Database) -> None:
        ccas = await type_titled(first, CCAS)
        async with second.read() as session:
            cached = await get_type(session, ccas.id)
        async with second.read() as session:
            assert await get_type(session, ccas.id) is cached  # the same snapshot, no reading

        async with first.write() as session:
            (await session.get_one(AppointmentType, ccas.id)).title = "CCAS — nouveau titre"

        for db in (second, first):  # another process, and the one that wrote
            async with db.read() as session:
                fresh = await get_type(session, ccas.id)
            assert fresh is not None and fresh.title == "CCAS — nouveau titre"

    with_two_databases(settings.database_url, scenario)


def test_desks_taken_off_a_type_through_the_relationship_are_seen(settings):
    async def scenario(first: Database, second: Database) -> None:
        ccas = await type_titled(first, CCAS)
        async with second.read() as session:
            before = await get_type(session, ccas.id)
        assert before is not None and before.desks

        async with first.write() as session:
            desk = await session.get_one(Desk, before.desks[0].id)
            await session.refresh(desk, ["types"])
            desk.types = [t for t in desk.types if t.id != ccas.id]

        async with second.read() as session:
            after = await get_type(session, ccas.id)
        assert after is not None
        assert [d.id for d in after.desks] == [d.id for d in before.desks[1:]]

    with_two_databases(settings.database_url, scenario)


def test_update_and_delete_statements_on_reference_tables_are_seen(settings):
    async def scenario(first: Database, second: Database) -> None:
        ccas = await type_titled(first, CCAS)

        async def openings_and_closures() -> tuple[set[time], int]:
            async with second.read() as session:
                appointment_type = await get_type(session, ccas.id)
                assert appointment_type is not None
                desk_ids = [d.id for d in appointment_type.desks]
                openings, closures, _ = await planning_reference(
                    session, appointment_type, desk_ids, TODAY, TODAY + timedelta(days=400)
                )
            return {rule.end for rule in openings}, len(closures)

        ends, closures = await openings_and_closures()
        assert time(12) in ends and closures > 0

        async with first.write() as session:
            await session.execute(
                update(OpeningRule)
                .where(OpeningRule.site_id == ccas.site_id, OpeningRule.end == time(12))
                .values(end=time(11, 30))
            )
            await session.execute(delete(Closure).where(Closure.site_id == ccas.site_id))
        ends, closures = await openings_and_closures()
        assert time(12) not in ends and time(11, 30) in ends
        assert closures == 0

        async with first.write() as session:
            await session.execute(delete(DeskType).where(DeskType.type_id == ccas.id))
        async with second.read() as session:
            withdrawn_desks = await get_type(session, ccas.id)
        assert withdrawn_desks is not None and withdrawn_desks.desks == ()

        async with first.write() as session:
            await session.execute(
                update(AppointmentType).where(AppointmentType.id == ccas.id).values(active=False)
            )
        async with second.read() as session:
            assert await get_type(session, ccas.id) is None

    with_two_databases(settings.database_url, scenario)


def test_writes_to_other_tables_keep_the_cache(settings):
    """Citizens' drafts, holds and bookings are no reference data: the rush does not
    empty every process's cache."""

    async def scenario(first: Database, second: Database) -> None:
        before = await version(second)
        assert before is not None
        async with first.write() as session:
            session.add(
                Draft(token_hash="x" * 64, data={}, created_at=FIXED_NOW, expires_at=FIXED_NOW)
            )
            await session.flush()
            await session.execute(update(Draft).values(data={"people": 1}))
            # Read without changing anything: not a change either.
            await session.get_one(Commune, 1)
        assert await version(second) == before

    with_two_databases(settings.database_url, scenario)


def test_a_transaction_sees_its_own_changes_and_a_rolled_back_one_is_never_cached(settings):
    async def scenario(first: Database, second: Database) -> None:
        ccas = await type_titled(first, CCAS)
        before = await version(first)
        async with second.read() as session:
            await get_type(session, ccas.id)  # cached in `second`

        with pytest.raises(RuntimeError):
            async with first.write() as session:
                (await session.get_one(AppointmentType, ccas.id)).title = "Abandonné"
                own = await get_type(session, ccas.id)  # not flushed yet: seen anyway
                assert own is not None and own.title == "Abandonné"
                raise RuntimeError("the administrator's request failed")

        assert await version(first) == before
        for db in (first, second):
            async with db.read() as session:
                kept = await get_type(session, ccas.id)
            assert kept is not None and kept.title == CCAS

    with_two_databases(settings.database_url, scenario)


def test_the_snapshots_cannot_be_changed(settings):
    async def scenario(first: Database, _second: Database) -> None:
        async with first.read() as session:
            data = await reference(session)
        some_type = next(t for t in data.types.values() if t.extra_fields)
        with pytest.raises(dataclasses.FrozenInstanceError):
            some_type.title = "changé"  # type: ignore[misc]
        with pytest.raises(TypeError):
            some_type.extra_fields[0]["label"] = "changé"  # type: ignore[index]
        with pytest.raises(TypeError):
            data.types[some_type.id] = some_type  # type: ignore[index]

    with_two_databases(settings.database_url, scenario)


async def old_reads(session, appointment_type, desk_ids, first_day: date, last_day: date):
    """The three reads `planning.build_query` made before the cache, as they were."""
    site = appointment_type.site
    openings = (
        await session.execute(
            select(OpeningRule).where(
                OpeningRule.site_id == site.id,
                or_(OpeningRule.type_id.is_(None), OpeningRule.type_id == appointment_type.id),
                or_(OpeningRule.desk_id.is_(None), OpeningRule.desk_id.in_(desk_ids)),
            )
        )
    ).scalars()
    closures = (
        await session.execute(
            select(Closure.first_day, Closure.last_day).where(
                Closure.site_id == site.id,
                Closure.last_day >= first_day,
                Closure.first_day <= last_day,
            )
        )
    ).all()
    subdivision = (
        await session.execute(
            select(Commune.holiday_subdivision).where(Commune.id == site.commune_id)
        )
    ).scalar() or ""
    return (
        sorted(
            (r.weekday, r.start, r.end, r.desk_id, r.valid_from, r.valid_until, r.every_n_weeks)
            for r in openings
        ),
        sorted((r.first_day, r.last_day) for r in closures),
        subdivision,
    )


def test_the_engine_gets_the_values_the_tables_hold(settings):
    """Rules for one type, for one desk, closures across the window's ends, Alsace's
    holidays: the query built from the cache equals the one the old reads gave."""

    async def scenario(first: Database, second: Database) -> None:
        async with first.write() as session:
            types = list((await session.execute(select(AppointmentType))).scalars())
            desks = list((await session.execute(select(Desk))).scalars())
            site = (await session.execute(select(Site).order_by(Site.id))).scalars().first()
            assert site is not None
            session.add_all(
                [
                    OpeningRule(
                        site_id=site.id, type_id=types[0].id, weekday=6, start=time(9), end=time(10)
                    ),
                    OpeningRule(
                        site_id=site.id,
                        desk_id=desks[-1].id,
                        weekday=5,
                        start=time(14),
                        end=time(16),
                    ),
                    OpeningRule(
                        site_id=site.id,
                        weekday=6,
                        start=time(10),
                        end=time(11),
                        valid_from=TODAY,
                        valid_until=TODAY + timedelta(days=30),
                        every_n_weeks=2,
                    ),
                    Closure(
                        site_id=site.id,
                        first_day=TODAY - timedelta(days=3),
                        last_day=TODAY + timedelta(days=1),
                    ),
                    Closure(
                        site_id=site.id,
                        first_day=TODAY + timedelta(days=20),
                        last_day=TODAY + timedelta(days=22),
                    ),
                ]
            )
            (await session.execute(select(Commune))).scalar_one().holiday_subdivision = "57"

        windows = [
            (TODAY, TODAY),
            (TODAY + timedelta(days=1), TODAY + timedelta(days=21)),
            (TODAY, TODAY + timedelta(days=400)),
        ]
        async with second.read() as session:
            for type_id in [t.id for t in types]:
                appointment_type = (await reference(session)).types[type_id]
                desk_ids = tuple(d.id for d in appointment_type.desks)
                for first_day, last_day in windows:
                    openings, closures, subdivision = await planning_reference(
                        session, appointment_type, desk_ids, first_day, last_day
                    )
                    cached = (
                        sorted(
                            (
                                r.weekday,
                                r.start,
                                r.end,
                                r.desk_id,
                                r.valid_from,
                                r.valid_until,
                                r.every_n_weeks,
                            )
                            for r in openings
                        ),
                        sorted((r.first_day, r.last_day) for r in closures),
                        subdivision,
                    )
                    assert cached == await old_reads(
                        session, appointment_type, desk_ids, first_day, last_day
                    )
                    query = await build_query(
                        session, appointment_type, 1, FIXED_NOW, first_day, last_day
                    )
                    assert sorted(query.closures) == cached[1]
                    assert query.holidays == public_holidays("57", first_day.year, last_day.year)
                    assert len(query.openings) == len(cached[0])

    with_two_databases(settings.database_url, scenario)


# --- over HTTP ------------------------------------------------------------------------------


@contextmanager
def another_process(settings, clock) -> Iterator[TestClient]:
    """A second application on the same database: its own Database, engines and cache."""
    with TestClient(create_app(settings, clock=clock), base_url="http://127.0.0.1") as client:
        yield client


def test_hours_changed_in_another_process_show_on_the_next_step5_page(settings, clock, citizen):
    sunday = open_day(SUNDAY)
    walk_to_slots(citizen)
    assert offered_in_week(citizen, sunday) == offered_in_week(citizen, sunday)  # cached
    site_id = str(asyncio.run(_first_type_site(settings.database_url, CCAS)))
    with another_process(settings, clock) as back_office:
        admin(back_office, settings)
        answer = post_form(
            back_office,
            "/admin/configuration/horaires/nouveau",
            {
                "site_id": site_id,
                "type_id": "",
                "desk_id": "",
                "weekday": "6",
                "start": "09:00",
                "end": "12:00",
                "valid_from": "",
                "valid_until": "",
                "every_n_weeks": "1",
            },
        )
        assert answer.status_code == 303
        assert slot(sunday, 9, 0) in offered_in_week(citizen, sunday)

        answer = post_form(
            back_office,
            f"/admin/configuration/sites/{site_id}/fermetures",
            {
                "first_day": sunday.strftime("%d/%m/%Y"),
                "last_day": sunday.strftime("%d/%m/%Y"),
                "label": "Travaux",
            },
            form_path=f"/admin/configuration/sites/{site_id}",
        )
        assert answer.status_code == 303, answer.text
        assert slot(sunday, 9, 0) not in offered_in_week(citizen, sunday)


async def _first_type_site(url: str, title: str) -> int:
    db = Database(url)
    try:
        return (await type_titled(db, title)).site_id
    finally:
        await db.dispose()


FROM_TABLE = re.compile(r"\bFROM (\w+)")


@contextmanager
def statements_of(app) -> Iterator[list[str]]:
    """The SQL statements the application sends while the block runs."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args: Any) -> None:
        seen.append(statement)

    db = app.state.db
    engines = {id(e): e.sync_engine for e in (db.read_engine, db.write_engine)}.values()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


def tables_read(statements: list[str]) -> set[str]:
    """The table each SELECT reads first (its FROM)."""
    return {
        match.group(1)
        for statement in statements
        if statement.lstrip().upper().startswith("SELECT")
        and (match := FROM_TABLE.search(statement))
    }


def test_a_second_step5_page_reads_no_reference_table_until_one_changes(app, citizen, settings):
    walk_to_slots(citizen)
    with statements_of(app) as first:
        assert citizen.get(PATHS[5]).status_code == 200
    with statements_of(app) as second:
        page = citizen.get(PATHS[5])
    assert page.status_code == 200
    assert tables_read(second) & REFERENCE_TABLES == set()
    assert "reference_version" in tables_read(second)
    assert len(second) <= len(first)

    # Another process renames the type: the next page reads the tables again, once.
    execute(
        settings,
        update(AppointmentType).where(AppointmentType.title == CCAS).values(title="CCAS — renommé"),
    )
    with statements_of(app) as after_change:
        page = citizen.get(PATHS[5])
    assert "CCAS — renommé" in text_of(page.text)
    assert {"appointment_type", "opening_rule", "closure", "commune"} <= tables_read(after_change)
    with statements_of(app) as again:
        citizen.get(PATHS[5])
    assert tables_read(again) & REFERENCE_TABLES == set()
