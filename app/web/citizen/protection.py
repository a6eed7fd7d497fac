"""The rate limits of the citizen flow, per client address group: starting a booking,
holding a slot, confirming (app/protection/rate_limits.py, docs/DECISIONS.md §98)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from litestar import Request
from litestar.response import Response

from app.protection.rate_limits import client_key, count_request
from app.settings import Settings
from app.web.client_address import address_group, client_address
from app.web.errors import too_many_requests_page

Kind = Literal["start", "hold", "confirm"]


def allowed(settings: Settings, kind: Kind) -> int:
    protection = settings.protection
    return {
        "start": protection.starts_per_window,
        "hold": protection.holds_per_window,
        "confirm": protection.confirmations_per_window,
    }[kind]


def holder_of(request: Request[Any, Any, Any]) -> str:
    """Who holds a slot, as `slot_hold.holder` stores it: a keyed hash of the address group."""
    settings: Settings = request.app.state.settings
    return client_key(settings.secret_key, "holder", address_group(client_address(request)))


async def over_limit(request: Request[Any, Any, Any], kind: Kind) -> Response[Any] | None:
    """Counts this request; the 429 page when its address asked too often in the window."""
    state = request.app.state
    settings: Settings = state.settings
    limit = allowed(settings, kind)
    if limit <= 0:
        return None
    key = client_key(settings.secret_key, kind, address_group(client_address(request)))
    window = timedelta(minutes=settings.protection.rate_window_minutes)
    refused = await count_request(state.db, key, limit, window, state.clock())
    if refused is None:
        return None
    return too_many_requests_page(request, refused.seconds, answers_kept=kind != "start")
