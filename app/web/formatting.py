"""What templates format: French dates and times, phone numbers, the commune's HTML."""

from __future__ import annotations

import nh3
from markupsafe import Markup

from app.booking.contact import display_phone
from app.french import long_date, short_date, time_of_day


def safe_html(value: str) -> Markup:
    """HTML written by the commune, cleaned again at display time."""
    return Markup(nh3.clean(value or ""))  # noqa: S704 - sanitised by nh3 just above


FILTERS = {
    "long_date": long_date,
    "short_date": short_date,
    "clock": time_of_day,
    "safe_html": safe_html,
    "phone": display_phone,
}
