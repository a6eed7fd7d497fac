"""What a request's commits leave to do runs once its answer is sent, even if it failed."""

from __future__ import annotations

import asyncio

import pytest

from app.db.session import Database, after_commit
from app.web.after_response import after_response_middleware


def _request(app, order: list[str]) -> None:
    async def send(message):
        if message["type"] == "http.response.body":
            order.append("answer sent")

    asyncio.run(app({"type": "http", "method": "POST", "path": "/"}, None, send))


def _app(db: Database, order: list[str], *, fail: bool = False):
    async def app(scope, receive, send):
        async with db.write() as session:

            async def compose(_db: Database) -> None:
                order.append("composed")

            after_commit(session, compose)
        order.append("committed")
        if fail:
            raise RuntimeError("after the commit, the handler failed")
        await send({"type": "http.response.start", "status": 303, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


def test_work_left_by_a_commit_runs_after_the_answer(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    order: list[str] = []
    _request(after_response_middleware(_app(db, order)), order)
    assert order == ["committed", "answer sent", "composed"]


def test_outside_a_request_it_runs_right_after_the_commit(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    order: list[str] = []
    _request(_app(db, order), order)
    assert order == ["composed", "committed", "answer sent"]


def test_it_runs_even_when_the_request_fails_after_its_commit(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    order: list[str] = []
    with pytest.raises(RuntimeError):
        _request(after_response_middleware(_app(db, order, fail=True)), order)
    assert order == ["committed", "composed"]
