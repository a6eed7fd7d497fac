"""Work that a request's commits left to do after it (composing the e-mail of a booking
just confirmed: `db.session.after_commit`) runs once its response is sent, outside the
admission gate: the citizen's answer does not wait for it, and the next requests in line
do not either."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from app.db.session import after_commit_deferred


def after_response_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        async with after_commit_deferred():
            await app(scope, receive, send)

    return middleware
