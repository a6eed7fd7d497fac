"""POST /rendez-vous/notifications: the browser on the confirmation page asks to be notified
about the booking it just made (the draft cookie names it; nothing else can)."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.response import Response

from app.push.optin import opt_in
from app.push.subscriptions import parse_subscription
from app.web.citizen.session import CitizenContext, current_draft

AnyRequest = Request[Any, Any, Any]


@post("/rendez-vous/notifications", name="push-subscribe")
async def push_subscribe(request: AnyRequest) -> Response[dict[str, str]]:
    ctx = CitizenContext.of(request)
    draft = await current_draft(request, ctx)
    if draft is None or draft.booking_id is None:
        return Response(
            {"message": "Ce rendez-vous n'est plus ouvert sur cet appareil."}, status_code=409
        )
    try:
        body = await request.json()
    except Exception:  # noqa: BLE001 - any unreadable body is the same bad request
        body = None
    data = parse_subscription(body.get("subscription") if isinstance(body, dict) else None)
    if data is None:
        return Response({"message": "Abonnement non valable."}, status_code=400)
    if not await opt_in(request.app.state.db, draft.booking_id, data, ctx.now, ctx.settings):
        return Response({"message": "Ce rendez-vous n'est plus actif."}, status_code=409)
    return Response(
        {"message": "Les notifications de ce rendez-vous arriveront sur cet appareil."},
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )
