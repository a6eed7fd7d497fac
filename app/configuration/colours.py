"""The commune's colour: a hex colour white text can sit on, readable as link text too."""

from __future__ import annotations

import re

HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
MIN_CONTRAST = 4.5  # WCAG 1.4.3, normal text
# The pale background of the footer and banners (static/css/creneau.css, --fond-doux), on
# which the colour is used for links.
PALE_BACKGROUND = "#f3f5f8"
WHITE = "#ffffff"


def normalise(value: str) -> str | None:
    """ "#1B4F8A", "1b4f8a" or "#18a" → "#1b4f8a"; None when it is no hex colour."""
    match = HEX.match(value.strip())
    if not match:
        return None
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return f"#{digits}"


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def darker(colour: str, factor: float = 0.75) -> str:
    """The hover shade: each channel scaled down."""
    return "#" + "".join(f"{int(int(colour[i : i + 2], 16) * factor):02x}" for i in (1, 3, 5))


def _ratio(value: float) -> str:
    return f"{int(value * 10) / 10:.1f}".replace(".", ",")  # truncated: 4,49 is not 4,5


def check(value: str) -> tuple[str | None, str | None]:
    """(normalised colour, None) or (None, French message)."""
    colour = normalise(value)
    if colour is None:
        return None, "Saisissez une couleur au format hexadécimal, par exemple #1b4f8a."
    with_white = contrast(colour, WHITE)
    if with_white < MIN_CONTRAST or contrast(colour, PALE_BACKGROUND) < MIN_CONTRAST:
        return None, (
            f"Cette couleur n'est pas assez contrastée : {_ratio(with_white)}:1 avec le texte "
            "blanc, il faut au moins 4,5:1 (et 4,5:1 sur le fond gris clair des pages). "
            "Choisissez une couleur plus foncée."
        )
    return colour, None
