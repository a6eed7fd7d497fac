"""The citizen's draft as the web layer sees it: cookie in, guard, cookie out."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Redirect

from app.booking import wizard
from app.booking.drafts import DraftStore, LoadedDraft
from app.booking.reference import TypeInfo, reference
from app.booking.service import load_booking
from app.db.models import Booking
from app.settings import Settings

DRAFT_COOKIE = "creneau_brouillon"
START_PATH = wizard.step(1).path

# Why step 1 is shown again: the message to give (the reason is in the URL, never data).
RESTART_REASONS = {
    "expire": (
        "Votre demande a expiré ou n'a pas été retrouvée. Recommencez en choisissant le "
        "type de rendez-vous : cela ne prend que quelques minutes."
    ),
    "type": "Ce type de rendez-vous n'est plus proposé. Choisissez-en un autre.",
    "nouveau": (
        "Vous prenez un nouveau rendez-vous. Votre rendez-vous déjà pris ne change pas : "
        "il reste réservé tel quel."
    ),
}


def restart(reason: str) -> Redirect:
    return see_other(f"{START_PATH}?motif={reason}")


def see_other(path: str, cookie: Cookie | None = None) -> Redirect:
    return Redirect(path, status_code=303, cookies=[cookie] if cookie else None)


def draft_cookie(settings: Settings, token: str) -> Cookie:
    return Cookie(
        key=DRAFT_COOKIE,
        value=token,
        path="/rendez-vous",
        max_age=settings.draft_lifetime_minutes * 60,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )


@dataclass(frozen=True)
class CitizenContext:
    """What every wizard handler needs from the application."""

    settings: Settings
    drafts: DraftStore
    now: datetime

    @classmethod
    def of(cls, request: Request[Any, Any, Any]) -> CitizenContext:
        state = request.app.state
        return cls(settings=state.settings, drafts=state.drafts, now=state.clock())


async def current_draft(request: Request[Any, Any, Any], ctx: CitizenContext) -> LoadedDraft | None:
    draft = await ctx.drafts.load(request.cookies.get(DRAFT_COOKIE), ctx.now)
    request.state.draft = draft  # for the frame of the page (e.g. "you are modifying…")
    return draft


def state_version(state: dict[str, Any]) -> str:
    """A fingerprint of the answers, so that a confirm sent from a stale page (another tab
    changed the answers meanwhile) is noticed."""
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]


def guard(draft: LoadedDraft, number: int) -> Redirect | None:
    """Where to send a citizen who asks for step `number` with this draft, if not there."""
    if draft.booking_id is not None:
        return None if number == wizard.TOTAL else see_other(wizard.step(wizard.TOTAL).path)
    if not wizard.reachable(number, draft.state):
        return see_other(wizard.first_due_step(draft.state).path)
    return None


@dataclass(frozen=True)
class Visit:
    """A citizen allowed on a step before the confirmation: the application context, their
    draft and the type they chose."""

    ctx: CitizenContext
    draft: LoadedDraft
    appointment_type: TypeInfo
    token: str

    @property
    def state(self) -> dict[str, Any]:
        return self.draft.state

    @property
    def cookie(self) -> Cookie:
        """The draft cookie again, its lifetime renewed like the draft's."""
        return draft_cookie(self.ctx.settings, self.token)

    async def save(self, state: dict[str, Any]) -> None:
        await self.ctx.drafts.save(self.draft.id, state, self.ctx.now)

    async def advance(self, state: dict[str, Any]) -> Redirect:
        """Stores the new answers and sends the citizen to the first step still waiting for
        one: the next step on a first pass, back to the recap after a change made from it."""
        await self.save(state)
        return see_other(wizard.first_due_step(state).path, self.cookie)

    async def take_notice(self) -> str | None:
        """The one-off message left for this step (e.g. "ce créneau vient d'être pris")."""
        notice = self.state.get("notice")
        if notice:
            await self.save({k: v for k, v in self.state.items() if k != "notice"})
        return notice


async def visit(request: Request[Any, Any, Any], number: int) -> Visit | Redirect:
    """The citizen's draft checked for step `number` (before the confirmation), or where to
    send them instead."""
    ctx = CitizenContext.of(request)
    draft = await current_draft(request, ctx)
    if draft is None:
        return restart("expire")
    if redirect := guard(draft, number):
        return redirect
    async with request.app.state.db.read() as session:
        data = await reference(session)
    request.state.reference = data  # the page's frame reads the commune from it
    appointment_type = data.active_type(draft.state["type_id"])
    if appointment_type is None:
        return restart("type")
    return Visit(ctx, draft, appointment_type, request.cookies[DRAFT_COOKIE])


async def confirmed_booking(
    request: Request[Any, Any, Any],
) -> tuple[CitizenContext, Booking] | Redirect:
    """The booking the citizen's draft became (the confirmation step), or where to send
    them instead: a draft not confirmed yet goes back to its first unanswered step."""
    ctx = CitizenContext.of(request)
    draft = await current_draft(request, ctx)
    if draft is None:
        return restart("expire")
    if draft.booking_id is None:
        return see_other(wizard.first_due_step(draft.state).path)
    booking = await load_booking(request.app.state.db, draft.booking_id)
    if booking is None:  # bookings are anonymised, never deleted: not expected
        return restart("expire")
    return ctx, booking
