"""The pages behind the emailed *modifier* and *annuler* links."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response
from markupsafe import Markup, escape

from app.booking import changes, links, wizard
from app.booking.catalogue import active_type_groups
from app.booking.links import LinkClaim, LinkState, Purpose
from app.db.models import Booking
from app.french import long_date, time_of_day
from app.web.citizen.forms import read_form
from app.web.citizen.session import (
    DRAFT_COOKIE,
    CitizenContext,
    Visit,
    current_draft,
    draft_cookie,
    restart,
    see_other,
)
from app.web.citizen.view import step_context
from app.web.pwa.memo import device_memo
from app.web.rendering import render

AnyRequest = Request[Any, Any, Any]

INVALID = (
    "Lien non valable",
    "Ce lien n'est pas valable. Vérifiez que son adresse a été copiée en entier depuis "
    "l'e-mail de confirmation, ou contactez la mairie.",
)
# What a citizen is told when a genuine link can no longer be used; {when} and {reference}
# name the appointment.
REFUSALS: dict[LinkState, tuple[str, str]] = {
    LinkState.UNKNOWN: INVALID,
    LinkState.CANCELLED: (
        "Rendez-vous déjà annulé",
        "Le rendez-vous du {when} (référence {reference}) a déjà été annulé : il n'y a "
        "plus rien à faire. Pour venir en mairie, prenez un nouveau rendez-vous.",
    ),
    LinkState.PAST: (
        "Rendez-vous passé",
        "Le rendez-vous du {when} (référence {reference}) a déjà eu lieu ou a commencé : "
        "il ne peut plus être modifié ni annulé en ligne.",
    ),
    LinkState.SUPERSEDED: (
        "Lien remplacé",
        "Votre rendez-vous (référence {reference}) a été modifié depuis l'envoi de ce lien. "
        "Utilisez les liens du dernier e-mail reçu : ils correspondent à votre rendez-vous "
        "actuel, le {when}.",
    ),
}
JUST_CANCELLED = (
    "Rendez-vous annulé",
    "Votre rendez-vous du {when} (référence {reference}) est annulé. Vous allez recevoir un "
    "e-mail qui le confirme. Merci d'avoir prévenu : la place est libérée pour quelqu'un "
    "d'autre.",
)
KEPT = (
    "Votre rendez-vous du {when} (référence {reference}) est maintenu : rien n'a changé. "
    "Vous pouvez fermer cette page, ou prendre un autre rendez-vous ci-dessous."
)


def describe(booking: Booking) -> dict[str, str]:
    start = booking.start.astimezone(ZoneInfo(booking.type.site.timezone))
    return {"when": f"{long_date(start)} à {time_of_day(start)}", "reference": booking.reference}


def fill(message: str, details: dict[str, str]) -> Markup:
    """The message with its details escaped, the reference kept on one line."""
    values: dict[str, str | Markup] = dict(details)
    if "reference" in details:
        values["reference"] = Markup('<span class="reference">{}</span>').format(
            details["reference"]
        )
    return escape(message).format(**values)


async def _read_link(
    request: AnyRequest, token: str, purpose: Purpose
) -> tuple[LinkClaim | None, Booking | None, LinkState]:
    """The token's claim, the booking it names and what the link can still do; no booking
    means the state is UNKNOWN."""
    ctx = CitizenContext.of(request)
    claim = links.read_token(ctx.settings.secret_key, token, purpose)
    if claim is None:
        return None, None, LinkState.UNKNOWN
    booking = await changes.find_booking(request.app.state.db, claim.booking_id)
    return claim, booking, links.link_state(claim, booking, ctx.now)


async def _message_page(
    request: AnyRequest,
    heading: str,
    message: Markup,
    *,
    status_code: int,
    success: bool = False,
    **extra: Any,
) -> Response[Any]:
    context = await step_context(request, 1, message=message, success=success, **extra)
    context["page_title"] = heading
    context["heading"] = heading
    return render(request, "citizen/link_message.html", context, status_code=status_code)


async def refusal_page(
    request: AnyRequest, booking: Booking | None, state: LinkState
) -> Response[Any]:
    heading, message = REFUSALS[state]
    status_code = 404 if state is LinkState.UNKNOWN else 410
    details = describe(booking) if booking is not None else {}
    return await _message_page(request, heading, fill(message, details), status_code=status_code)


def refused_modification(current: Visit) -> Redirect:
    """Where a confirm goes when the booking it modifies changed meanwhile: its own modify
    link, which explains why (cancelled, begun, or modified from another tab)."""
    modifies = current.state[changes.MODIFIES]
    token = links.token_for(
        current.ctx.settings.secret_key,
        int(modifies["booking_id"]),
        int(modifies["sequence"]),
        "modify",
    )
    return see_other(links.MODIFY_PREFIX + token, current.cookie)


class ChangesController(Controller):
    path = "/rendez-vous"

    @get("/modifier/{token:str}", name="booking-modify")
    async def modify(self, request: AnyRequest, token: FromPath[str]) -> Response[Any]:
        """Starts a modification: a new draft with every answer of the booking, then
        step 1. The booking itself is untouched until the new recap is confirmed."""
        _claim, booking, state = await _read_link(request, token, "modify")
        if booking is None or state is not LinkState.USABLE:
            return await refusal_page(request, booking, state)
        ctx = CitizenContext.of(request)
        draft_token, _ = await ctx.drafts.create(changes.modification_state(booking), ctx.now)
        return see_other(wizard.step(1).path, draft_cookie(ctx.settings, draft_token))

    @post("/nouveau", name="booking-new-instead")
    async def new_instead(self, request: AnyRequest) -> Redirect:
        """Leaves a modification under way for a new booking: the modification's draft and
        its hold are forgotten, the booking stays as it is, step 1 starts afresh."""
        ctx = CitizenContext.of(request)
        draft = await current_draft(request, ctx)
        if draft is None or draft.booking_id is not None:
            return see_other(wizard.step(1).path)
        if not changes.modified_booking_id(draft.state):
            return see_other(wizard.step(1).path)  # already a new booking: nothing to leave
        await ctx.drafts.discard(draft.id)
        response = restart("nouveau")
        response.delete_cookie(DRAFT_COOKIE, path="/rendez-vous")
        return response

    @get("/annuler/{token:str}", name="booking-cancel")
    async def cancel_page(
        self, request: AnyRequest, token: FromPath[str], etat: FromQuery[str | None] = None
    ) -> Response[Any]:
        """Step 1 with the banner asking to confirm the cancellation; or what happened."""
        claim, booking, state = await _read_link(request, token, "cancel")
        if (
            etat == "annule"
            and claim is not None
            and booking is not None
            and state is LinkState.CANCELLED
            and booking.sequence == claim.sequence + 1
        ):
            heading, message = JUST_CANCELLED
            return await _message_page(
                request,
                heading,
                fill(message, describe(booking)),
                status_code=200,
                success=True,
                device_memo=device_memo(
                    booking, CitizenContext.of(request).settings.secret_key, "annule"
                ),
            )
        if booking is None or state is not LinkState.USABLE:
            return await refusal_page(request, booking, state)
        async with request.app.state.db.read() as session:
            groups = await active_type_groups(session)
        details = describe(booking)
        kept = etat == "maintenu"
        context = await step_context(
            request,
            1,
            groups=groups,
            selected=None,
            notice=KEPT.format(**details) if kept else None,  # plain: also an attribute
            errors={},
            cancellation=None if kept else {"action": links.CANCEL_PREFIX + token, **details},
            device_memo=device_memo(booking, CitizenContext.of(request).settings.secret_key),
        )
        if not kept:
            context["page_title"] = "Annuler votre rendez-vous\u00a0?"
        return render(request, "citizen/step1_type.html", context)

    @post("/annuler/{token:str}")
    async def cancel_submit(self, request: AnyRequest, token: FromPath[str]) -> Response[Any]:
        choice = (await read_form(request)).get("choix")
        claim, booking, state = await _read_link(request, token, "cancel")
        if claim is None:
            return await refusal_page(request, None, LinkState.UNKNOWN)
        here = links.CANCEL_PREFIX + token
        if choice == "garder":
            return see_other(f"{here}?etat=maintenu" if state is LinkState.USABLE else here)
        if choice != "annuler":
            return see_other(here)
        ctx = CitizenContext.of(request)
        result = await changes.cancel(request.app.state.db, claim, ctx.now, settings=ctx.settings)
        if isinstance(result, changes.Cancelled):
            return see_other(f"{here}?etat=annule")
        return see_other(here)
