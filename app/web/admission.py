"""Admission control: at most N requests work on the database at once; the others wait
their turn here, in order, instead of inside the connection pool, whose 30-second timeout
would turn a rush (a few thousand citizens clicking when new slots open) into errors.

A request that waited too long gets a French 503 page with `Retry-After`; static files
and the health check never wait.

Two lines, not one: a citizen finishing a booking (choosing the slot, the recap, the
confirmation) and staff at work go before people arriving at the first steps or browsing
the weeks. In a rush everyone who holds a slot then finishes in the time of their own
requests, not behind the whole crowd, and releases the places they do not take sooner.
"""

from __future__ import annotations

import asyncio
from collections import deque
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


FIRST, SECOND = 0, 1
# (method, path prefix) of the requests that go first.
FINISHING = (
    ("POST", "/rendez-vous/creneau"),
    ("GET", "/rendez-vous/recapitulatif"),
    ("POST", "/rendez-vous/recapitulatif"),
    ("GET", "/rendez-vous/confirmation"),
    ("GET", "/rendez-vous/modifier/"),
    ("POST", "/rendez-vous/annuler/"),
    ("GET", "/admin"),
    ("POST", "/admin"),
)


def line_of(method: str, path: str) -> int:
    """FIRST for a booking being finished and for staff, SECOND for everything else."""
    return FIRST if any(method == m and path.startswith(p) for m, p in FINISHING) else SECOND


class PriorityGate:
    """A semaphore with two queues: a permit freed goes to the first waiter of the FIRST
    line, else of the SECOND. Each line is served in arrival order."""

    def __init__(self, limit: int) -> None:
        self._free = limit
        self._lines: tuple[deque[asyncio.Future[None]], ...] = (deque(), deque())

    async def acquire(self, line: int, patience: float) -> bool:
        """True once a permit is held; False after `patience` seconds without one."""
        if self._free and not any(self._lines):
            self._free -= 1
            return True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._lines[line]
        queue.append(waiter)
        try:
            async with asyncio.timeout(patience):
                await waiter
            return True
        except BaseException as error:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a permit just as time ran out (or the client left)
            if waiter in queue:
                queue.remove(waiter)
            if isinstance(error, TimeoutError):
                return False
            raise

    def release(self) -> None:
        for queue in self._lines:
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self._free += 1


def admission_control(limit: int, max_wait_seconds: float = 90.0) -> Callable[[ASGIApp], ASGIApp]:
    """The middleware factory Litestar expects: `(app) -> app`."""
    gate = PriorityGate(limit)

    def middleware_factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP or scope["path"].startswith(UNGATED_PREFIXES):
                await app(scope, receive, send)
                return
            line = line_of(scope["method"], scope["path"])
            if not await gate.acquire(line, max_wait_seconds):
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
