"""Reading submitted forms as plain text, whatever a client sends."""

from __future__ import annotations

from typing import Any

from litestar import Request

from app.web.ids import in_range

MAX_FIELD_LENGTH = 2000


async def read_form(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The first value of each text field, cut to MAX_FIELD_LENGTH, without NUL characters
    (PostgreSQL refuses them in text); files are ignored."""
    form = await request.form()
    values: dict[str, str] = {}
    for key, value in form.multi_items():
        if key in values or not isinstance(value, str):
            continue
        values[key] = value[:MAX_FIELD_LENGTH].replace("\x00", "")
    return values


def parse_int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def parse_id(value: str | None) -> int | None:
    """The id typed, or None (not a number, or beyond what the database stores)."""
    number = parse_int(value)
    return number if number is not None and in_range(number) else None
