"""Admission control: at most N requests work on the database at once; the others wait
their turn here, in order, instead of inside the connection pool, whose 30-second timeout
would turn a rush (a few thousand citizens clicking when new slots open) into errors.

A request that waited too long gets a French 503 page with `Retry-After`; static files
and the health check never wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPResponseStartEvent, Receive, Scope, Send

UNGATED_PREFIXES = ("/static/", "/healthz")
BUSY_PAGE = (
    '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>Service très demandé</title></head><body><main>"
    "<h1>Service très demandé</h1>"
    "<p>Beaucoup de personnes prennent rendez-vous en ce moment. Vos réponses sont "
    "conservées : réessayez dans une minute.</p></main></body></html>"
).encode()


def admission_control(limit: int, max_wait_seconds: float = 90.0) -> Callable[[ASGIApp], ASGIApp]:
    """The middleware factory Litestar expects: `(app) -> app`."""
    gate = asyncio.Semaphore(limit)

    def middleware_factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP or scope["path"].startswith(UNGATED_PREFIXES):
                await app(scope, receive, send)
                return
            try:
                await asyncio.wait_for(gate.acquire(), timeout=max_wait_seconds)
            except TimeoutError:
                await _busy(send)
                return
            try:
                await app(scope, receive, send)
            finally:
                gate.release()

        return middleware

    return middleware_factory


async def _busy(send: Send) -> None:
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 503,
        "headers": [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"retry-after", b"60"),
            (b"cache-control", b"no-store"),
        ],
    }
    await send(start)
    await send({"type": "http.response.body", "body": BUSY_PAGE, "more_body": False})
