"""Forgotten password: /admin/mot-de-passe-oublie asks for the address and e-mails a link;
/admin/reinitialiser/{jeton} lets the holder choose a new password (also used by new
accounts to choose their first one). The answer never says whether an account exists."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response

from app.staff import passwords
from app.staff.accounts import by_email, set_password
from app.staff.reset_links import WELCOME, check_token
from app.staff.reset_mail import send_password_link
from app.staff.throttle import forget_account_failures
from app.web.citizen.forms import read_form
from app.web.staff.view import staff_page

AnyRequest = Request[Any, Any, Any]

SENT = (
    "Si un compte actif correspond à cette adresse, un e-mail vient de lui être envoyé avec "
    "un lien pour choisir un nouveau mot de passe (valable une heure). Pensez à regarder "
    "dans les courriers indésirables."
)


class PasswordLinkController(Controller):
    path = "/admin"

    @get("/mot-de-passe-oublie", name="staff-forgot")
    async def forgot_form(
        self, request: AnyRequest, etat: FromQuery[str | None] = None
    ) -> Response[Any]:
        return staff_page(
            request,
            "staff/forgot.html",
            {"sent": SENT if etat == "envoye" else None, "email": "", "errors": {}},
        )

    @post("/mot-de-passe-oublie")
    async def forgot_submit(self, request: AnyRequest) -> Response[Any]:
        form = await read_form(request)
        email = form.get("email", "").strip()
        if not email or "@" not in email:
            return staff_page(
                request,
                "staff/forgot.html",
                {
                    "sent": None,
                    "email": email,
                    "errors": {"email": "Saisissez l'adresse e-mail de votre compte."},
                },
                status_code=422,
            )
        state = request.app.state
        async with state.db.write() as session:
            staff = await by_email(session, email)
            if staff is not None and staff.active:
                commune = state.commune.name if state.commune else "Créneau"
                await send_password_link(
                    session, staff, state.settings, state.clock(), commune=commune
                )
        return Redirect("/admin/mot-de-passe-oublie?etat=envoye", status_code=303)

    @get("/reinitialiser/{token:str}", name="staff-reset")
    async def reset_form(self, request: AnyRequest, token: FromPath[str]) -> Response[Any]:
        async with request.app.state.db.read() as session:
            check = await check_token(
                session, request.app.state.settings.secret_key, token, request.app.state.clock()
            )
        if check.staff is None:
            return self._invalid(request, check.problem or "")
        return self._form(request, token, check.purpose, {})

    @post("/reinitialiser/{token:str}")
    async def reset_submit(self, request: AnyRequest, token: FromPath[str]) -> Response[Any]:
        form = await read_form(request)
        new, confirmation = form.get("nouveau", ""), form.get("confirmation", "")
        state = request.app.state
        async with state.db.read() as session:
            check = await check_token(session, state.settings.secret_key, token, state.clock())
        if check.staff is None:
            return self._invalid(request, check.problem or "")
        if problem := passwords.password_problem(new, confirmation):
            mismatch = new != confirmation and len(new) >= passwords.MIN_LENGTH
            errors = {"confirmation" if mismatch else "nouveau": problem}
            return self._form(request, token, check.purpose, errors, status_code=422)
        async with state.db.write() as session:
            # Checked again inside the transaction: two tabs cannot both use one link.
            again = await check_token(session, state.settings.secret_key, token, state.clock())
            if again.staff is None:
                return self._invalid(request, again.problem or "")
            reason = "choisi" if again.purpose == WELCOME else "réinitialisé par lien e-mail"
            await set_password(
                session, again.staff, new, state.clock(), actor=again.staff, reason=reason
            )
            # The lock-out message sends people here: the new password works at once.
            await forget_account_failures(session, again.staff.email)
        return Redirect("/admin/connexion?etat=mot-de-passe-choisi", status_code=303)

    def _form(
        self,
        request: AnyRequest,
        token: str,
        purpose: str,
        errors: dict[str, str],
        status_code: int = 200,
    ) -> Response[Any]:
        return staff_page(
            request,
            "staff/reset.html",
            {
                "action": f"/admin/reinitialiser/{token}",
                "welcome": purpose == WELCOME,
                "errors": errors,
            },
            status_code=status_code,
            headers={"Referrer-Policy": "no-referrer"},
        )

    def _invalid(self, request: AnyRequest, problem: str) -> Response[Any]:
        return staff_page(
            request,
            "staff/reset_invalid.html",
            {"problem": problem},
            status_code=410,
            headers={"Referrer-Policy": "no-referrer"},
        )
