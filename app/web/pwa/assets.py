"""/sw.js and /manifest.webmanifest."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from litestar import HttpMethod, Request, get, route
from litestar.response import Response

from app.settings import PROJECT_ROOT
from app.web.static_files import HTMX_ASSET, static_url

SERVICE_WORKER = PROJECT_ROOT / "service_worker" / "sw.js"
ICONS = ("icon-192.png", "icon-512.png", "icon-maskable-512.png")
# The offline pages and "Mes rendez-vous" are precached with the static files.
SHELL_PAGES = (
    "/mes-rendez-vous",
    "/mes-rendez-vous/rendez-vous",
    "/hors-ligne",
    "/hors-ligne/modification",
)
NO_CACHE = "no-cache"


SHELL_FILES = (
    "css/creneau.css",
    "css/pwa.css",
    HTMX_ASSET,
    "js/creneau.js",
    "js/appareil.js",
    "js/pwa.js",
    *(f"icons/{name}" for name in ICONS),
)


def shell_assets() -> tuple[str, ...]:
    """The shell's static files under the addresses the pages name (fingerprinted)."""
    return tuple(static_url(name) for name in SHELL_FILES)


def service_worker_source() -> str:
    return _service_worker_source(shell_assets())


@cache
def _service_worker_source(assets: tuple[str, ...]) -> str:
    """The worker with its precache list and a version that changes with any file of the
    shell (their addresses name their content) or the worker itself: a new version
    installs, the old caches are dropped."""
    digest = hashlib.sha256(SERVICE_WORKER.read_bytes())
    for url in assets:
        digest.update(url.encode())
    version = digest.hexdigest()[:12]
    return (
        SERVICE_WORKER.read_text()
        .replace("__VERSION__", version)
        .replace("__SHELL__", json.dumps([*assets, *SHELL_PAGES]))
    )


@get("/sw.js", name="service-worker", sync_to_thread=False)
def service_worker(request: Request[Any, Any, Any]) -> Response[str]:
    return Response(
        service_worker_source(),
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": "/", "Cache-Control": NO_CACHE},
    )


def manifest_for(commune_name: str, color: str) -> dict[str, Any]:
    return {
        "id": "/",
        "name": f"Rendez-vous en mairie — {commune_name}",
        "short_name": "Rendez-vous",
        "description": "Prendre, consulter et annuler vos rendez-vous en mairie.",
        "lang": "fr",
        "dir": "ltr",
        "start_url": "/mes-rendez-vous",
        "scope": "/",
        "display": "standalone",
        "theme_color": color,
        "background_color": "#ffffff",
        "icons": [
            {"src": static_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static_url("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }


@route("/manifest.webmanifest", http_method=[HttpMethod.GET, HttpMethod.HEAD], name="manifest")
async def manifest(request: Request[Any, Any, Any]) -> Response[bytes]:
    from app.booking.catalogue import current_commune

    async with request.app.state.db.read() as session:
        commune = await current_commune(session)
    name = commune.name if commune else "Créneau"
    color = commune.primary_color if commune else "#000091"
    return Response(
        json.dumps(manifest_for(name, color), ensure_ascii=False).encode(),
        media_type="application/manifest+json",
        headers={"Cache-Control": NO_CACHE},
    )
