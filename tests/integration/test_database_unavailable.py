"""The database cannot serve for a moment: PostgreSQL restarted (its connections in the pool
are dead), out of connections, or SQLite locked beyond its busy timeout. The citizen gets
the page they asked for, or a 503 page « réessayez dans un instant » with `Retry-After`,
never a 500."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sqlite3

import pytest
from litestar.testing import TestClient
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import session as db_session
from app.db.unavailable import temporarily_unavailable
from tests.conftest import Citizen, application
from tests.integration.helpers import HX, PATHS, choose_type


def run_sql(url: str, *statements: str) -> list[object]:
    """Statements on a connection of their own (the test's, not the application's)."""
    import asyncpg

    async def run() -> list[object]:
        connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return [await connection.fetchval(statement) for statement in statements]
        finally:
            await connection.close()

    return asyncio.run(run())


def assert_busy_page(response) -> None:
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["cache-control"] == "no-store"
    assert "Service momentanément indisponible" in response.text
    assert "réessayez dans un instant" in response.text
    assert "Traceback" not in response.text


@pytest.fixture
def postgresql(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL)")
    return database_url


def test_after_a_postgresql_restart_the_next_request_is_served(postgresql, citizen):
    assert citizen.get(PATHS[1]).status_code == 200
    assert citizen.get("/healthz").status_code == 200
    # What a restart does to the pool: every connection it holds is closed by the server.
    (terminated,) = run_sql(
        postgresql,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    assert terminated >= 1
    assert citizen.get(PATHS[1]).status_code == 200
    assert citizen.get("/healthz").status_code == 200
    assert choose_type(citizen).status_code == 200  # a write too


@pytest.fixture
def limited_role(postgresql: str):
    """A role of this test process, whose CONNECTION LIMIT the test lowers (the superuser
    the suite connects as has none)."""
    role = f"creneau_t_{os.getpid()}_limite"
    run_sql(
        postgresql,
        f'DROP ROLE IF EXISTS "{role}"',
        f'CREATE ROLE "{role}" LOGIN',
        f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"',
        f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
    )
    base, _, rest = postgresql.partition("://")
    yield role, f"{base}://{role}@{rest.rpartition('@')[2]}"
    run_sql(
        postgresql,
        f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '{role}'",
        f'DROP OWNED BY "{role}"',
        f'DROP ROLE "{role}"',
    )


def test_a_server_out_of_connections_answers_503_then_serves_again(
    limited_role, postgresql, settings, clock
):
    role, url = limited_role
    app = application(dataclasses.replace(settings, database_url=url), clock)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        citizen = Citizen(client)
        assert citizen.get(PATHS[1]).status_code == 200
        # The server refuses any new connection of the role ("too many connections"), and
        # those the pool holds are gone.
        run_sql(
            postgresql,
            f'ALTER ROLE "{role}" CONNECTION LIMIT 0',
            f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            f"WHERE usename = '{role}'",
        )
        assert_busy_page(citizen.get(PATHS[1]))
        fragment = citizen.get(PATHS[1], headers=HX)
        assert_busy_page(fragment)
        assert not fragment.text.lstrip().startswith("<!doctype")
        run_sql(postgresql, f'ALTER ROLE "{role}" CONNECTION LIMIT -1')
        assert citizen.get(PATHS[1]).status_code == 200


def test_sqlite_locked_beyond_its_busy_timeout_answers_503(database_url, app, monkeypatch):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    monkeypatch.setattr(db_session, "SQLITE_BUSY_TIMEOUT_MS", 200)  # 30 s in production
    with TestClient(app, base_url="http://127.0.0.1") as client:
        citizen = Citizen(client)
        token = citizen.csrf(PATHS[1])
        ids = {"type_id": "1", "_csrf_token": token}
        other_writer = sqlite3.connect(database_url.removeprefix("sqlite+aiosqlite:///"))
        try:
            other_writer.execute("BEGIN IMMEDIATE")  # holds SQLite's one write lock
            assert_busy_page(client.post(PATHS[1], data=ids))
        finally:
            other_writer.rollback()
            other_writer.close()
        assert client.post(PATHS[1], data=ids, follow_redirects=False).status_code == 303


def test_a_pool_with_no_connection_to_give_is_a_temporary_unavailability(tmp_path):
    """SQLAlchemy's pool timeout (every connection in use for pool_timeout seconds)."""

    async def run() -> BaseException:
        engine = create_async_engine(
            f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}",
            pool_size=1,
            max_overflow=0,
            pool_timeout=0.05,
        )
        try:
            async with engine.connect() as held:
                await held.execute(text("SELECT 1"))
                with pytest.raises(exc.TimeoutError) as timed_out:
                    async with engine.connect():
                        pass
                return timed_out.value
        finally:
            await engine.dispose()

    assert temporarily_unavailable(asyncio.run(run()))
    assert not temporarily_unavailable(ValueError("une erreur du programme"))
