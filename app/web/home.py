"""The front door: straight to the booking flow."""

from __future__ import annotations

from litestar import get
from litestar.response import Redirect


@get("/", name="home", sync_to_thread=False)
def home() -> Redirect:
    return Redirect("/rendez-vous/type", status_code=303)
