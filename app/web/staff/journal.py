"""/admin/journal: the audit trail for administrators, newest first, filtered by action
or by staff member, 50 events a page."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.params import FromQuery
from litestar.response import Response

from app.staff import audit
from app.staff.accounts import list_accounts
from app.web.staff.auth import CurrentStaff, admins_only
from app.web.staff.forms import parse_id, parse_int
from app.web.staff.view import staff_page

AnyRequest = Request[Any, Any, Any]


class JournalController(Controller):
    path = "/admin/journal"
    guards = [admins_only]
    opt = {"role": "admin"}

    @get("/", name="staff-journal")
    async def index(
        self,
        request: AnyRequest,
        staff: CurrentStaff,
        action: FromQuery[str | None] = None,
        compte: FromQuery[str | None] = None,
        page: FromQuery[str | None] = None,
    ) -> Response[Any]:
        staff_id = parse_id(compte)
        action = (action or "")[:80]
        async with request.app.state.db.read() as session:
            found = await audit.search(
                session, action=action, staff_id=staff_id, page=parse_int(page) or 1
            )
            actions = await audit.known_actions(session)
            accounts = await list_accounts(session, staff.commune_id)
        filters = {key: value for key, value in (("action", action), ("compte", compte)) if value}

        def page_link(number: int) -> str:
            return "/admin/journal?" + urlencode({**filters, "page": number})

        return staff_page(
            request,
            "staff/journal.html",
            {
                "result": found,
                "actions": actions,
                "accounts": accounts,
                "action": action,
                "staff_id": staff_id,
                "page_link": page_link,
                "action_label": audit.action_label,
                "target_label": audit.target_label,
                "as_json": lambda details: json.dumps(details, ensure_ascii=False, indent=1),
            },
        )
