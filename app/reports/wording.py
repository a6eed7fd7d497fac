"""Figures as French readers write them."""

from __future__ import annotations

from datetime import timedelta


def number(value: float, decimals: int = 1) -> str:
    text = f"{value:.{decimals}f}".replace(".", ",")
    return text.removesuffix(",0") if decimals == 1 else text


def percent(rate: float | None) -> str:
    """0.0394 → "3,9 %" (narrow no-break space, as French typography wants); None → "—"."""
    return "—" if rate is None else f"{number(rate * 100)}\u202f%"


def lead_time(span: timedelta | None) -> str:
    """An average delay: "2 j 4 h", "5 h", "moins d'une heure"; None → "—"."""
    if span is None:
        return "—"
    hours = round(span.total_seconds() / 3600)
    days, hours = divmod(hours, 24)
    if days and hours:
        return f"{days} j {hours} h"
    if days:
        return f"{days} j"
    return f"{hours} h" if hours else "moins d'une heure"
