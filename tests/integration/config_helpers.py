"""An administrator filling the configuration forms over HTTP (no JavaScript)."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import select

from app.db.models import AuditEvent
from app.staff.roles import Role
from tests.integration.helpers import fetch
from tests.integration.staff_helpers import create_staff, csrf_token, logged_in


def admin(client: Any, settings: Any) -> Any:
    logged_in(client, create_staff(settings, Role.ADMIN))
    return client


def post_form(
    client: Any,
    path: str,
    data: dict[str, Any],
    *,
    form_path: str | None = None,
    files: dict[str, Any] | None = None,
) -> Any:
    """Posts like the browser: with the CSRF token of the page holding the form."""
    token = csrf_token(client, form_path or path)
    return client.post(
        path, data={**data, "_csrf_token": token}, files=files, follow_redirects=False
    )


def audit_actions(settings: Any) -> list[str]:
    return [e.action for e in fetch(settings, select(AuditEvent).order_by(AuditEvent.id))]


def summary_messages(page: str) -> list[str]:
    match = re.search(r'<div class="resume-erreurs".*?</ul>', page, re.S)
    assert match, "no error summary"
    items = re.findall(r"<li>(.*?)</li>", match.group(0), re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", item)) for item in items]
