"""Renders a template as a whole page, or only its swappable block for htmx."""

from __future__ import annotations

from typing import Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request

SWAP_BLOCK = "etape"


def wants_fragment(request: Request[Any, Any, Any]) -> bool:
    """htmx asked for a part of the page (a history restore needs the whole page)."""
    headers = request.headers
    return (
        headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"
    )


def render(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> HTMXBlockTemplate:
    fragment = wants_fragment(request)
    headers = {"Vary": "HX-Request", "Cache-Control": "no-store"}
    if fragment and request.method == "GET" and status_code < 300:
        # htmx does not change the address after a form's POST → 303 → GET: without this
        # the address bar (and so a reload or the back button) stays on the previous step.
        query = request.url.query
        headers["HX-Push-Url"] = request.url.path + (f"?{query}" if query else "")
    return HTMXBlockTemplate(
        template_name=template,
        block_name=SWAP_BLOCK if fragment else None,
        context=context,
        status_code=status_code,
        headers=headers,
    )
