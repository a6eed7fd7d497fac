"""Logging in and out of the back office: /admin/connexion, /admin/deconnexion."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Response

from app.staff import throttle
from app.staff.accounts import log_in, log_out
from app.web.citizen.forms import read_form
from app.web.client_address import address_group, client_address
from app.web.staff.auth import (
    COOKIE,
    LOGIN_PATH,
    current_staff,
    expired_cookie,
    safe_return_path,
    session_cookie,
)
from app.web.staff.view import staff_page

AnyRequest = Request[Any, Any, Any]

NOTICES = {
    "deconnecte": "Vous êtes déconnecté.",
    "mot-de-passe-choisi": "Votre mot de passe est enregistré : connectez-vous avec lui.",
}


class StaffSessionController(Controller):
    path = "/admin"

    @get("/connexion", name="staff-login")
    async def login_form(
        self,
        request: AnyRequest,
        suite: FromQuery[str | None] = None,
        etat: FromQuery[str | None] = None,
    ) -> Response[Any]:
        if await current_staff(request) is not None:
            return Redirect(safe_return_path(suite), status_code=303)
        return self._page(request, suite=safe_return_path(suite), notice=NOTICES.get(etat or ""))

    @post("/connexion")
    async def login_submit(self, request: AnyRequest) -> Response[Any]:
        form = await read_form(request)
        email = form.get("email", "").strip()
        password = form.get("mot_de_passe", "")
        suite = safe_return_path(form.get("suite"))
        errors: dict[str, str] = {}
        if not email:
            errors["email"] = "Saisissez votre adresse e-mail."
        if not password:
            errors["mot_de_passe"] = "Saisissez votre mot de passe."
        if errors:
            return self._page(request, suite=suite, email=email, errors=errors, status_code=422)
        state = request.app.state
        group = address_group(client_address(request))
        result = await log_in(state.db, email, password, group, state.clock())
        if result.wait is not None:
            return self._page(
                request,
                suite=suite,
                email=email,
                problem=result.error,
                status_code=429,
                headers={"Retry-After": str(throttle.retry_after(result.wait))},
            )
        if result.token is None:
            return self._page(
                request, suite=suite, email=email, problem=result.error, status_code=401
            )
        cookie = session_cookie(result.token, state.settings.secure_cookies)
        return Redirect(suite, status_code=303, cookies=[cookie])

    @post("/deconnexion", name="staff-logout")
    async def logout(self, request: AnyRequest) -> Response[Any]:
        state = request.app.state
        group = address_group(client_address(request))
        await log_out(state.db, request.cookies.get(COOKIE), group, state.clock())
        return Redirect(
            f"{LOGIN_PATH}?etat=deconnecte",
            status_code=303,
            cookies=[expired_cookie(request.app.state.settings.secure_cookies)],
        )

    def _page(
        self,
        request: AnyRequest,
        *,
        suite: str,
        email: str = "",
        errors: dict[str, str] | None = None,
        problem: str | None = None,
        notice: str | None = None,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Response[Any]:
        return staff_page(
            request,
            "staff/login.html",
            {
                "suite": suite,
                "email": email,
                "errors": errors or {},
                "problem": problem,
                "notice": notice,
            },
            status_code=status_code,
            headers=headers,
        )
