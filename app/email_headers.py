"""Header values of the e-mails the platform sends: one-line texts, display names that
cannot be misread as addresses, stable Message-IDs."""

from __future__ import annotations

import hashlib
import re


def one_line(value: str) -> str:
    """Control characters (CR, LF, tabs…) become spaces; runs of spaces collapse."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value or "").split())


def message_id(dedupe_key: str, domain: str) -> str:
    """The same logical message always gets the same Message-ID: a copy sent again after a
    crash is recognisably the same message."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:40]
    return f"<{digest}@{domain}>"


# RFC 5322 "specials": a display name keeps none of them. Python's header folding drops the
# quotes around a long display name, and a receiver would then read "a, b@x" as two
# addresses; without specials there is nothing to misread. The name is only cosmetic.
SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')
MAX_DISPLAY_NAME = 60


def display_name(name: str) -> str:
    cleaned = " ".join(SPECIALS.sub(" ", one_line(name)).split())
    return cleaned[:MAX_DISPLAY_NAME].rstrip()
