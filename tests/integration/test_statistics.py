"""Statistics on a known set of bookings (demo commune: CCAS 30-minute slots on one desk,
Monday–Friday 8:30–12:00 and 13:30–17:00, Saturday 9:00–12:00: 76 places a week)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.reports.period import Period, last_weeks
from app.reports.statistics import statistics
from tests.integration.data_helpers import add_booking, local, read, seed_demo, write

MONDAY = date(2026, 11, 30)
CHRISTMAS_WEEK = date(2026, 12, 21)


@pytest.fixture
def known(settings):
    seed_demo(settings)

    async def work(session):
        for hour, attendance in ((9, "attended"), (10, "no_show"), (14, None)):
            start = local(MONDAY + timedelta(days=1), hour)
            await add_booking(
                session,
                "ccas-aide-sociale",
                start,
                attendance=attendance,
                created_at=start - timedelta(days=2),
            )
        await add_booking(
            session, "ccas-aide-sociale", local(MONDAY + timedelta(days=2), 9), status="cancelled"
        )
        start = local(CHRISTMAS_WEEK, 9)
        await add_booking(
            session, "ccas-aide-sociale", start, created_at=start - timedelta(days=10)
        )
        # Passports: each person lengthens the appointment, three people use three places.
        await add_booking(session, "titres-identite", local(MONDAY, 9), people=3)
        return (await session.execute(_site_ids())).all()

    return dict(write(settings, work))


def _site_ids():
    from sqlalchemy import select

    from app.db.models import Site

    return select(Site.name, Site.id)


def stats(settings, period, site_ids):
    return read(settings, lambda session: statistics(session, period, site_ids))


def test_figures_of_a_week(settings, known):
    result = stats(
        settings, Period(MONDAY, MONDAY + timedelta(days=6)), {known["Espace solidarité"]}
    )
    week = result.weeks[MONDAY]
    assert (week.bookings, week.cancelled, week.no_shows) == (3, 1, 1)
    assert week.offered_places == 76
    assert week.booked_places == 3
    assert week.fill_rate == pytest.approx(3 / 76)
    assert week.average_lead == timedelta(days=2)
    assert [line.title for line in result.types] == ["CCAS — aide sociale"]


def test_public_holidays_offer_nothing(settings, known):
    result = stats(
        settings,
        Period(CHRISTMAS_WEEK, CHRISTMAS_WEEK + timedelta(days=6)),
        {known["Espace solidarité"]},
    )
    week = result.weeks[CHRISTMAS_WEEK]
    assert week.offered_places == 76 - 14  # Friday 25 December
    assert week.bookings == 1 and week.average_lead == timedelta(days=10)


def test_per_type_over_every_site(settings, known):
    result = stats(settings, Period(MONDAY, CHRISTMAS_WEEK + timedelta(days=6)), None)
    by_title = {line.title: line.figures for line in result.types}
    assert by_title["Carte d'identité / passeport"].booked_places == 3
    assert by_title["Carte d'identité / passeport"].bookings == 1
    assert by_title["CCAS — aide sociale"].bookings == 4
    assert by_title["CCAS — aide sociale"].offered_places == 76 * 4 - 14
    assert list(result.weeks) == [MONDAY + timedelta(weeks=n) for n in range(4)]
    assert result.total.bookings == 5 and result.total.cancelled == 1


def test_an_empty_period_has_weeks_and_no_figures(settings, known):
    result = stats(settings, last_weeks(date(2027, 6, 2)), None)
    assert result.empty
    assert len(result.weeks) == 12
    assert result.total.fill_rate == 0.0
    assert result.total.average_lead is None
