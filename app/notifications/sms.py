"""The text of an SMS: plain ASCII within the GSM-7 basic alphabet (every operator passes it
without switching to UCS-2, which would cut a message to 70 characters), and within one SMS
(160 characters) where possible: long names are shortened, never the date, time or
reference. No link: the e-mail carries the modify and cancel links.
"""

from __future__ import annotations

import unicodedata

from app.notifications.facts import BookingFacts

SMS_LENGTH = 160
# Printable ASCII without the characters GSM-7 lacks or sends as two (escape + char).
GSM_SAFE = set(
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
REPLACEMENTS = {
    "œ": "oe",
    "Œ": "OE",
    "æ": "ae",
    "Æ": "AE",
    "ß": "ss",
    "’": "'",
    "‘": "'",
    "«": '"',
    "»": '"',
    "“": '"',
    "”": '"',
    "–": "-",
    "—": "-",
    "…": "...",
    "€": "EUR",
    "[": "(",
    "]": ")",
    "{": "(",
    "}": ")",
}


def gsm_safe(text: str) -> str:
    """Accents dropped (é → e), typographic signs replaced, anything else outside the safe
    set (control characters, emoji, backslash…) turned into a space; spaces collapsed."""
    out = []
    for ch in text:
        if ch in REPLACEMENTS:
            out.append(REPLACEMENTS[ch])
            continue
        base = unicodedata.normalize("NFKD", ch)
        base = "".join(c for c in base if not unicodedata.combining(c))
        out.append("".join(c if c in GSM_SAFE else " " for c in base) or " ")
    return " ".join("".join(out).split())


def _shorten(value: str, length: int) -> str:
    return value if len(value) <= length else value[: max(length - 1, 1)].rstrip() + "."


def _fit(template: str, fields: dict[str, str], shrinkable: list[str]) -> str:
    """Fills the template; if too long, shortens the shrinkable fields in turn."""
    fields = {name: gsm_safe(value) for name, value in fields.items()}
    text = template.format(**fields)
    for name in shrinkable:
        excess = len(text) - SMS_LENGTH
        if excess <= 0:
            break
        fields[name] = _shorten(fields[name], max(len(fields[name]) - excess, 8))
        text = template.format(**fields)
    return text


def sms_text(kind: str, facts: BookingFacts) -> str:
    when = facts.start_local
    fields = {
        "commune": facts.commune,
        "type": facts.type_title,
        "site": facts.site_name,
        "date": f"{when:%d/%m/%Y}",
        "time": f"{when.hour}h{when.minute:02d}",
        "reference": facts.reference,
    }
    templates = {
        "booking_confirmed": "{commune} : RDV confirme le {date} a {time}, {site} ({type}). "
        "Ref {reference}. Modifier/annuler : voir e-mail.",
        "booking_moved": "{commune} : RDV deplace au {date} a {time}, {site} ({type}). "
        "Ref {reference}.",
        "booking_cancelled": "{commune} : votre RDV du {date} a {time} ({type}) est annule. "
        "Ref {reference}.",
        "reminder": "{commune} : rappel, RDV demain {date} a {time}, {site} ({type}). "
        "Ref {reference}.",
    }
    return _fit(templates[kind], fields, ["type", "site", "commune"])
