"""Shared fixtures: a migrated database (SQLite by default, PostgreSQL with
TEST_DATABASE_URL), the application with a fixed clock, and a citizen's HTTP client."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from litestar.testing import TestClient

from app.asgi import create_app
from app.db.migrate import upgrade
from app.settings import Settings

# Monday 30 November 2026, 08:00 in Paris.
FIXED_NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")


def pytest_report_header(config) -> str:
    if POSTGRES_URL:
        return f"database tests: PostgreSQL ({POSTGRES_URL.rsplit('@', 1)[-1]})"
    return (
        "database tests: SQLite only — set TEST_DATABASE_URL (or run `make test-postgres`) "
        "to run them on PostgreSQL too"
    )


def _reset_postgres(url: str) -> None:
    import asyncpg

    async def reset() -> None:
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        finally:
            await connection.close()

    asyncio.run(reset())


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    if POSTGRES_URL:
        _reset_postgres(POSTGRES_URL)
        url = POSTGRES_URL
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'creneau.db'}"
    upgrade(url)
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key="test-secret-key-not-for-production-0123456789",
        load_demo=True,
    )


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(FIXED_NOW)


@pytest.fixture
def app(settings: Settings, clock: Clock):
    return create_app(settings, clock=clock)


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
