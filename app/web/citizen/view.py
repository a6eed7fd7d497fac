"""What every wizard page shows besides its own content."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request

from app.booking import wizard
from app.booking.changes import MODIFIES
from app.booking.reference import Reference, reference


async def step_context(
    request: Request[Any, Any, Any], number: int, **extra: Any
) -> dict[str, Any]:
    # The reference data this request already read (`session.visit`), else the cache's.
    data: Reference | None = request.state.get("reference")
    if data is None:
        async with request.app.state.db.read() as session:
            data = await reference(session)
    current = wizard.step(number)
    draft = request.state.get("draft")
    # A finished modification is only recalled on its confirmation page.
    in_progress = draft is not None and (draft.booking_id is None or number == wizard.TOTAL)
    modifies = draft.state.get(MODIFIES) if in_progress else None
    title = current.title
    if modifies and number == wizard.TOTAL:
        title = "Rendez-vous modifié"
    return {
        "commune": data.commune,
        "step": current,
        "steps": wizard.STEPS,
        "total": wizard.TOTAL,
        "page_title": f"{title} — étape {number} sur {wizard.TOTAL}",
        # The booking this draft modifies: its reference and its start (in the site's zone).
        "modification": {
            "reference": modifies["reference"],
            "start": datetime.fromisoformat(modifies["start"]),
        }
        if modifies
        else None,
        **extra,
    }
