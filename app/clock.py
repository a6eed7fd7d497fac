"""The one place that reads the machine's clock.

Everything else takes a `Clock` (a function returning an aware UTC instant), so tests and
demonstrations can run the application at a chosen instant: `CRENEAU_FROZEN_NOW` (see
`app/settings.py`) stops the clock there for every process started with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def frozen_clock(instant: datetime) -> Clock:
    """A clock that always answers `instant` (aware; returned in UTC)."""
    fixed = instant.astimezone(UTC)
    return lambda: fixed


def clock_for(frozen_now: datetime | None) -> Clock:
    """The application's clock: the machine's, unless the settings froze it."""
    return system_clock if frozen_now is None else frozen_clock(frozen_now)


def machine_seconds() -> float:
    """The machine's clock, for what a remote party checks against its own clock (the
    expiry of a VAPID token): a frozen application clock must not reach it."""
    return time.time()
