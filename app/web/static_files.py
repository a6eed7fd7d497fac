"""Where the static files are, and the vendored assets the pages name."""

from __future__ import annotations

from app.settings import PROJECT_ROOT

STATIC = PROJECT_ROOT / "static"
HTMX_ASSET = "vendor/htmx/htmx-2.0.11.min.js"
