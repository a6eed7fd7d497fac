"""Security headers on every response.

A `before_send` hook, not a middleware: Litestar runs middleware only around the route
handlers, so the answers of its router (an unknown address: 404, a wrong method: 405)
would go without them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# Two years, sub-domains included: what the HSTS preload list asks for. Sent only when the
# service is reached over HTTPS (CRENEAU_SECURE_COOKIES): a browser that received it on
# http://127.0.0.1 would refuse plain HTTP to that host for two years.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"


def security_headers(*, https: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """The hook for `Litestar(before_send=[...])`; `https`: the service is served over
    HTTPS only (then HSTS too)."""
    headers_to_add = dict(SECURITY_HEADERS)
    if https:
        headers_to_add["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY

    async def before_send(message: Message, _scope: Scope) -> None:
        if message["type"] == "http.response.start":
            headers = MutableScopeHeaders.from_message(message)
            for name, value in headers_to_add.items():
                if name not in headers:
                    headers[name] = value

    return before_send
