"""The commune's logo: PNG or JPEG only (an SVG can carry scripts), 200 kB at most."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

MAX_BYTES = 200 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"


@dataclass(frozen=True)
class Logo:
    data: bytes
    content_type: str
    digest: str


def content_type_of(data: bytes) -> str | None:
    """Read from the bytes themselves, never from the file name or the browser's word."""
    if data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR":
        return "image/png"
    if data.startswith(JPEG_SIGNATURE) and data.rstrip(b"\0").endswith(b"\xff\xd9"):
        return "image/jpeg"
    return None


def check(data: bytes) -> tuple[Logo | None, str | None]:
    """(logo, None) or (None, French message)."""
    if not data:
        return None, "Choisissez un fichier image."
    if len(data) > MAX_BYTES:
        return None, "Ce fichier pèse plus de 200 ko : le logo doit peser 200 ko au plus."
    content_type = content_type_of(data)
    if content_type is None:
        return None, "Le logo doit être une image PNG ou JPEG (le format SVG n'est pas accepté)."
    return Logo(data, content_type, hashlib.sha256(data).hexdigest()), None
