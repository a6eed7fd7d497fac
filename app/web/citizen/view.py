"""What every wizard page shows besides its own content."""

from __future__ import annotations

from typing import Any

from litestar import Request

from app.booking import wizard
from app.booking.catalogue import current_commune


async def step_context(
    request: Request[Any, Any, Any], number: int, **extra: Any
) -> dict[str, Any]:
    async with request.app.state.db.read() as session:
        commune = await current_commune(session)
    current = wizard.step(number)
    return {
        "commune": commune,
        "step": current,
        "steps": wizard.STEPS,
        "total": wizard.TOTAL,
        "page_title": f"{current.title} — étape {number} sur {wizard.TOTAL}",
        **extra,
    }
