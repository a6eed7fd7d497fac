"""The front door: straight to the booking flow."""

from __future__ import annotations

from litestar import HttpMethod, route
from litestar.response import Redirect


# HEAD too: monitoring tools ask the front door with it (the server sends no body).
@route("/", http_method=[HttpMethod.GET, HttpMethod.HEAD], name="home", sync_to_thread=False)
def home() -> Redirect:
    return Redirect("/rendez-vous/type", status_code=303)
