"""Numbers typed into an address or a form beyond the database's integer range (PostgreSQL
`integer`): they name nothing, and the database would refuse them with an error."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException

from app.booking.catalogue import MAX_ID as LARGEST


def in_range(number: int) -> bool:
    return -LARGEST <= number <= LARGEST


async def refuse_impossible_ids(request: Request[Any, Any, Any]) -> None:
    """before_request: /admin/comptes/99999999999999999999 is a 404, not a 500."""
    for value in request.path_params.values():
        if isinstance(value, int) and not in_range(value):
            raise NotFoundException()
