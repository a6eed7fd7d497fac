"""/admin/comptes: staff accounts, for administrators (create, role and sites, deactivate).
A new account receives a « choisir son mot de passe » link by e-mail."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response
from sqlalchemy import select

from app.db.models import Site
from app.staff.accounts import (
    AccountError,
    by_id,
    create_account,
    list_accounts,
    set_active,
    update_access,
)
from app.staff.reset_links import WELCOME
from app.staff.reset_mail import send_password_link
from app.staff.roles import LABELS, Role
from app.web.staff.auth import CurrentStaff, admins_only
from app.web.staff.forms import int_list, read_form
from app.web.staff.view import staff_page

AnyRequest = Request[Any, Any, Any]

NOTICES = {
    "cree": "Le compte est créé. Un e-mail invite la personne à choisir son mot de passe.",
    "modifie": "Les accès du compte sont enregistrés.",
    "desactive": "Le compte est désactivé : la personne est déconnectée et ne peut plus se "
    "connecter.",
    "reactive": "Le compte est réactivé.",
    "lien": "Un nouveau lien pour choisir le mot de passe a été envoyé.",
}
ROLE_CHOICES = [(role.value, LABELS[role]) for role in (Role.VIEWER, Role.AGENT, Role.ADMIN)]
ROLE_HINTS = {
    Role.VIEWER.value: "voit le planning et les rendez-vous de tous les sites, sans rien changer",
    Role.AGENT.value: "gère le planning et les rendez-vous de ses sites",
    Role.ADMIN.value: "tout, pour toute la commune : configuration, comptes, RGPD",
}


async def _sites(request: AnyRequest) -> list[Site]:
    async with request.app.state.db.read() as session:
        return list(
            (await session.execute(select(Site).order_by(Site.position, Site.id))).scalars()
        )


class AccountsController(Controller):
    path = "/admin/comptes"
    guards = [admins_only]
    opt = {"role": "admin"}

    @get("/", name="staff-accounts")
    async def index(
        self, request: AnyRequest, staff: CurrentStaff, etat: FromQuery[str | None] = None
    ) -> Response[Any]:
        async with request.app.state.db.read() as session:
            accounts = await list_accounts(session, staff.commune_id)
        return staff_page(
            request,
            "staff/accounts.html",
            {"accounts": accounts, "notice": NOTICES.get(etat or "")},
        )

    @get("/nouveau", name="staff-account-new")
    async def new_form(self, request: AnyRequest, staff: CurrentStaff) -> Response[Any]:
        values = {"display_name": "", "email": "", "role": Role.AGENT.value, "sites": []}
        return await self._form(request, None, values, {})

    @post("/nouveau")
    async def create(self, request: AnyRequest, staff: CurrentStaff) -> Response[Any]:
        form = await read_form(request)
        display_name = form.get("display_name", "").strip()
        email, role = form.get("email", "").strip(), form.get("role", "")
        sites = await int_list(request, "sites")
        values = {"display_name": display_name, "email": email, "role": role, "sites": sites}
        errors = self._check(values)
        state = request.app.state
        if not errors:
            try:
                async with state.db.write() as session:
                    created = await create_account(
                        session,
                        commune_id=staff.commune_id,
                        email=email,
                        display_name=display_name,
                        role=Role(role),
                        site_ids=sites if role == Role.AGENT.value else [],
                        now=state.clock(),
                        actor=staff,
                    )
                    await send_password_link(
                        session, created, state.settings, state.clock(),
                        commune=state.commune.name if state.commune else "Créneau",
                        purpose=WELCOME,
                    )  # fmt: skip
            except AccountError as error:
                field = "email" if "e-mail" in str(error) else "display_name"
                errors[field] = str(error)
        if errors:
            return await self._form(request, None, values, errors, status_code=422)
        return Redirect("/admin/comptes?etat=cree", status_code=303)

    @get("/{staff_id:int}", name="staff-account-edit")
    async def edit_form(
        self, request: AnyRequest, staff: CurrentStaff, staff_id: FromPath[int]
    ) -> Response[Any]:
        account = await self._account(request, staff_id)
        values = {"role": account.role, "sites": [site.id for site in account.sites]}
        return await self._form(request, account, values, {})

    @post("/{staff_id:int}")
    async def update(
        self, request: AnyRequest, staff: CurrentStaff, staff_id: FromPath[int]
    ) -> Response[Any]:
        account = await self._account(request, staff_id)
        form = await read_form(request)
        role, sites = form.get("role", ""), await int_list(request, "sites")
        values = {"role": role, "sites": sites}
        errors = {} if role in ROLE_HINTS else {"role": "Choisissez un rôle."}
        if not errors:
            try:
                async with request.app.state.db.write() as session:
                    await update_access(
                        session, staff, staff_id, role=role,
                        site_ids=sites, now=request.app.state.clock(),
                    )  # fmt: skip
            except AccountError as error:
                errors["role"] = str(error)
        if errors:
            return await self._form(request, account, values, errors, status_code=422)
        return Redirect("/admin/comptes?etat=modifie", status_code=303)

    @post("/{staff_id:int}/desactiver")
    async def deactivate(
        self, request: AnyRequest, staff: CurrentStaff, staff_id: FromPath[int]
    ) -> Response[Any]:
        return await self._set_active(request, staff, staff_id, active=False)

    @post("/{staff_id:int}/reactiver")
    async def reactivate(
        self, request: AnyRequest, staff: CurrentStaff, staff_id: FromPath[int]
    ) -> Response[Any]:
        return await self._set_active(request, staff, staff_id, active=True)

    @post("/{staff_id:int}/lien")
    async def send_link(
        self, request: AnyRequest, staff: CurrentStaff, staff_id: FromPath[int]
    ) -> Response[Any]:
        account = await self._account(request, staff_id)
        state = request.app.state
        if account.active:
            async with state.db.write() as session:
                await send_password_link(
                    session, account, state.settings, state.clock(),
                    commune=state.commune.name if state.commune else "Créneau", purpose=WELCOME,
                )  # fmt: skip
        return Redirect("/admin/comptes?etat=lien", status_code=303)

    async def _set_active(
        self, request: AnyRequest, staff: Any, staff_id: int, *, active: bool
    ) -> Response[Any]:
        account = await self._account(request, staff_id)
        try:
            async with request.app.state.db.write() as session:
                await set_active(
                    session, staff, staff_id, active=active, now=request.app.state.clock()
                )
        except AccountError as error:
            values = {"role": account.role, "sites": [site.id for site in account.sites]}
            return await self._form(
                request, account, values, {}, problem=str(error), status_code=409
            )
        return Redirect(
            f"/admin/comptes?etat={'reactive' if active else 'desactive'}", status_code=303
        )

    async def _account(self, request: AnyRequest, staff_id: int) -> Any:
        async with request.app.state.db.read() as session:
            account = await by_id(session, staff_id)
        if account is None or account.commune_id != request.state.staff.commune_id:
            raise NotFoundException()
        return account

    def _check(self, values: dict[str, Any]) -> dict[str, str]:
        errors = {}
        if not values["display_name"]:
            errors["display_name"] = "Indiquez le nom de la personne."
        if not values["email"]:
            errors["email"] = "Indiquez l'adresse e-mail de la personne."
        if values["role"] not in ROLE_HINTS:
            errors["role"] = "Choisissez un rôle."
        return errors

    async def _form(
        self,
        request: AnyRequest,
        account: Any,
        values: dict[str, Any],
        errors: dict[str, str],
        *,
        problem: str | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        return staff_page(
            request,
            "staff/account_form.html",
            {
                "account": account,
                "values": values,
                "errors": errors,
                "problem": problem,
                "sites": await _sites(request),
                "roles": ROLE_CHOICES,
                "role_hints": ROLE_HINTS,
            },
            status_code=status_code,
        )
