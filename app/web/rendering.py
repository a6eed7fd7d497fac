"""Renders a template as a whole page, or only its swappable block for htmx."""

from __future__ import annotations

from typing import Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request
from litestar.response import Template

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


def render_into(
    template: str,
    context: dict[str, Any],
    *,
    target: str,
    status_code: int = 200,
) -> Template:
    """A small answer for htmx that replaces `target` (a CSS selector of the page) instead
    of the step's block: the response headers HX-Retarget and HX-Reswap say where, so the
    form keeps its usual `hx-target` for every other answer. Out-of-band parts of the
    template (`hx-swap-oob`) land on their own ids."""
    return Template(
        template_name=template,
        context=context,
        status_code=status_code,
        headers={
            "Vary": "HX-Request",
            "Cache-Control": "no-store",
            "HX-Retarget": target,
            "HX-Reswap": "outerHTML",
        },
    )
