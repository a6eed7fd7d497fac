"""Shared fixtures: a migrated database (SQLite by default, PostgreSQL with
TEST_DATABASE_URL), the application on a frozen clock, and a citizen's HTTP client.

The instant every test runs at is FIXED_NOW: Monday 30 November 2026, 08:00 in Paris, or
the instant given by CRENEAU_TEST_NOW (ISO 8601 with its offset). The test servers and the
commands the tests start get it too (CRENEAU_FROZEN_NOW); see docs/DEVELOPMENT.md.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import argon2.profiles
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.asgi import create_app
from app.db.session import safe_concurrency
from app.settings import Settings
from app.staff import passwords
from tests.databases import PostgresDatabases, copy_sqlite, migrated_sqlite_file
from tests.instant import FIXED_NOW, TEST_NOW

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")


def pytest_report_header(config) -> str:
    when = f"tests run at {TEST_NOW.isoformat()} (CRENEAU_TEST_NOW)"
    if POSTGRES_URL:
        return f"{when}; database tests: PostgreSQL ({POSTGRES_URL.rsplit('@', 1)[-1]})"
    return (
        f"{when}; database tests: SQLite only — set TEST_DATABASE_URL (or run "
        "`make test-postgres`) to run them on PostgreSQL too"
    )


def pytest_collection_modifyitems(config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL pass, only the tests that use a database run again: the others
    already ran, unchanged, on the SQLite pass."""
    if not POSTGRES_URL:
        return
    kept, left = [], []
    for item in items:
        (kept if "migrated_database" in getattr(item, "fixturenames", ()) else left).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2's cheapest parameters in the test processes (a production hash takes a third
    of a second); tests/unit/test_password_hashing.py checks the production ones."""
    passwords.use_parameters(argon2.profiles.CHEAPEST)
    yield
    passwords.use_parameters(passwords.PRODUCTION_PARAMETERS)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The schema at head, made once per test process: a file that each test copies
    (SQLite), or a database that is emptied before each test (PostgreSQL)."""
    if POSTGRES_URL:
        databases = PostgresDatabases(POSTGRES_URL)
        databases.create()
        yield databases
        databases.drop()
    else:
        yield migrated_sqlite_file(tmp_path_factory.mktemp("template"))


@pytest.fixture
def database_url(tmp_path: Path, migrated_database) -> Iterator[str]:
    """A database of its own for this test, migrated to head."""
    if isinstance(migrated_database, PostgresDatabases):
        yield migrated_database.fresh()
    else:
        yield copy_sqlite(migrated_database, tmp_path)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key="test-secret-key-not-for-production-0123456789",
        load_demo=True,
        frozen_now=FIXED_NOW,
        shared_week_seconds=0,  # every page sees every change (test_shared_weeks.py)
    )


class Clock:
    """The application's clock in a test: `clock.now = …` moves it. Like the real one it
    answers in UTC, whatever zone the test wrote the instant in (a Paris time given back
    as is would hide a confusion between the UTC and the local date)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now.astimezone(UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(FIXED_NOW)


_APPLICATIONS: dict[tuple[object, ...], Litestar] = {}


def application(settings: Settings, clock: Clock) -> Litestar:
    """The application for these settings and this clock. Building one costs a fifth of a
    second (Litestar prepares every route), so each test process builds one per shape of
    settings and gives each test its own settings and clock before it starts: exactly what
    restarting the service with other settings does (app.asgi.start_services)."""
    key = (
        settings.debug,
        settings.secure_cookies,
        settings.secret_key,
        settings.max_requests_in_flight,
        safe_concurrency(settings.database_url),
    )
    app = _APPLICATIONS.get(key)
    if app is None:
        app = _APPLICATIONS[key] = create_app(settings, clock=clock)
    app.state.settings = settings
    app.state.clock = clock
    return app


@pytest.fixture
def app(settings: Settings, clock: Clock) -> Litestar:
    return application(settings, clock)


CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


@dataclass
class Citizen:
    """A browser without JavaScript: follows redirects, sends the form's CSRF token."""

    client: TestClient

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def csrf(self, path: str) -> str:
        page = self.client.get(path)
        match = CSRF_RE.search(page.text)
        assert match, f"no CSRF token on {path} ({page.status_code})"
        return match.group(1)

    def submit(self, path: str, data: dict[str, str], *, follow: bool = True, htmx: bool = False):
        token = self.csrf(path)
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(
            path,
            data={**data, "_csrf_token": token},
            headers=headers,
            follow_redirects=follow,
        )


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture
def citizen(client: TestClient) -> Citizen:
    return Citizen(client)
