"""GET /agenda/{token}.ics: a secret subscription feed (see calendar_sync.feeds)."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from litestar import HttpMethod, Request, Response, route
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from app.calendar_sync.feeds import RedactFeedTokens, feed_calendar, find_feed

CONTENT_TYPE = "text/calendar"  # Litestar adds "; charset=utf-8"

logging.getLogger("uvicorn.access").addFilter(RedactFeedTokens())


# HEAD too: calendar clients ask it to see whether the feed changed (ETag); the server
# sends the headers without the body.
@route("/agenda/{name:str}", http_method=[HttpMethod.GET, HttpMethod.HEAD], name="calendar-feed")
async def calendar_feed(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
    token = name.removesuffix(".ics")
    state = request.app.state
    async with state.db.read() as session:
        feed = await find_feed(session, token) if name.endswith(".ics") else None
        if feed is None:
            raise NotFoundException()
        body = await feed_calendar(session, feed, state.clock())
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": "private, max-age=300",
        "Referrer-Policy": "no-referrer",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=headers)
    return Response(body, media_type=CONTENT_TYPE, headers=headers)
