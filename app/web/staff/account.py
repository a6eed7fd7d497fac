"""/admin/compte: the member's own account (change the password)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Response

from app.staff.accounts import change_own_password
from app.web.citizen.forms import read_form
from app.web.client_address import address_group, client_address
from app.web.staff.auth import CurrentStaff, session_cookie, staff_only
from app.web.staff.view import staff_page

AnyRequest = Request[Any, Any, Any]
CHANGED = "changement=fait"


class AccountController(Controller):
    path = "/admin/compte"
    guards = [staff_only]
    opt = {"role": "viewer"}

    @get("/", name="staff-account")
    async def page(
        self, request: AnyRequest, staff: CurrentStaff, changement: FromQuery[str | None] = None
    ) -> Response[Any]:
        return staff_page(
            request, "staff/account.html", {"errors": {}, "changed": changement == "fait"}
        )

    @post("/")
    async def change_password(self, request: AnyRequest, staff: CurrentStaff) -> Response[Any]:
        form = await read_form(request)
        state = request.app.state
        errors, token = await change_own_password(
            state.db,
            staff.id,
            form.get("actuel", ""),
            form.get("nouveau", ""),
            form.get("confirmation", ""),
            state.clock(),
            group=address_group(client_address(request)),
        )
        if token is None:
            return staff_page(
                request, "staff/account.html", {"errors": errors, "changed": False}, status_code=422
            )
        # A new session token for this browser: the old one ended with the old password.
        cookie = session_cookie(token, state.settings.secure_cookies)
        return Redirect(f"/admin/compte?{CHANGED}", status_code=303, cookies=[cookie])
