"""The demo commune is dated in its own zone (Paris), not in UTC."""

from datetime import UTC, date, datetime

from app.demo import august_closure_year, local_today


def test_the_demo_reads_the_date_in_paris():
    # 23:30 UTC on 16 August is already the 17th in Paris: this year's closure is over.
    now = datetime(2026, 8, 16, 23, 30, tzinfo=UTC)
    assert local_today(now) == date(2026, 8, 17)
    assert august_closure_year(local_today(now)) == 2027
    assert august_closure_year(local_today(datetime(2026, 8, 16, 21, 30, tzinfo=UTC))) == 2026
