"""Reading the configuration forms: every value (long Markdown texts included), the
repeated ones (ticked desks) and an uploaded file, with their own size limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request
from litestar.datastructures import UploadFile

from app.configuration.logo import MAX_BYTES
from app.configuration.markdown import MAX_LENGTH
from app.db.models import Booking

# Above what any field may hold, so that an over-long text gets its French message.
MAX_FIELD = MAX_LENGTH + 1000
# The body of a form with several long texts (percent-encoded, up to 6 bytes a character).
TEXT_FORM_BODY = 512 * 1024
# The identity form also carries the logo (multipart).
IDENTITY_FORM_BODY = 1024 * 1024


@dataclass
class SubmittedForm:
    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    file: bytes | None = None


async def read_config_form(
    request: Request[Any, Any, Any], *, file_field: str | None = None
) -> SubmittedForm:
    form = await request.form()
    submitted = SubmittedForm()
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key == file_field and submitted.file is None:
                data = await value.read(MAX_BYTES + 1)
                submitted.file = data or None
            continue
        text = str(value)[:MAX_FIELD]
        submitted.lists.setdefault(key, []).append(text)
        submitted.values.setdefault(key, text)
    return submitted


def replay(form: SubmittedForm, *, leave_out: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """Every submitted value as (name, value) pairs, to carry a change through a question."""
    skipped = {"_csrf_token", "decision", "orphelins", *leave_out}
    return [
        (name, value)
        for name, values in form.lists.items()
        if name not in skipped
        for value in values
    ]


def orphan_rows(bookings: list[Booking], timezone: str) -> list[dict[str, Any]]:
    """What the administrator is shown of each stranded booking (local times)."""
    tz = ZoneInfo(timezone)
    return [
        {
            "id": booking.id,
            "reference": booking.reference,
            "start": booking.start.astimezone(tz),
            "end": booking.end.astimezone(tz),
            "type": booking.type.title,
            "desk": booking.desk.name,
            "person": f"{booking.first_name} {booking.last_name}".strip(),
        }
        for booking in bookings
    ]
