"""Reading back-office forms: single text values, and lists (checkboxes)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from app.web.citizen.forms import MAX_FIELD_LENGTH, parse_id, parse_int, read_form

__all__ = ["int_list", "parse_id", "parse_int", "read_form"]


async def int_list(request: Request[Any, Any, Any], name: str) -> list[int]:
    """Every id sent under `name` (checkboxes), in order, without repeats."""
    form = await request.form()
    values: list[int] = []
    for value in form.getall(name) if name in form else []:
        number = parse_id(value[:MAX_FIELD_LENGTH]) if isinstance(value, str) else None
        if number is not None and number not in values:
            values.append(number)
    return values
