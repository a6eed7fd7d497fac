"""The French e-mail about a booking, as a MIME message.

Structure (the one calendar clients expect from an invitation):

    multipart/mixed
      multipart/alternative
        text/plain
        text/html
        text/calendar; method=REQUEST|CANCEL   (the iTIP message, inline)
      text/calendar; method=…; name="rendez-vous.ics"  (the same file, as an attachment)

The `method=` parameter of both is the METHOD of the calendar they carry. The HTML is rendered by
Jinja with autoescaping; every value is one line of text (`email_headers.one_line`), so neither part
nor any header can be broken by a form field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from app.email_headers import display_name, one_line
from app.notifications.facts import BookingFacts
from app.settings import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / "components" / "email"
ATTACHMENT_NAME = "rendez-vous.ics"


@dataclass(frozen=True)
class Wording:
    subject: str
    heading: str
    lead: str
    links: bool  # the modify and cancel links
    calendar: bool  # an iTIP calendar goes with it


WORDINGS = {
    "booking_confirmed": Wording(
        "Rendez-vous confirmé",
        "Votre rendez-vous est confirmé",
        "Votre rendez-vous est enregistré. Voici ce qu'il faut savoir.",
        links=True,
        calendar=True,
    ),
    "booking_moved": Wording(
        "Rendez-vous modifié",
        "Votre rendez-vous a été modifié",
        "Votre rendez-vous a été déplacé. Voici sa nouvelle date ; l'ancienne est libérée.",
        links=True,
        calendar=True,
    ),
    "booking_cancelled": Wording(
        "Rendez-vous annulé",
        "Votre rendez-vous est annulé",
        "Votre rendez-vous a bien été annulé. La place est libérée pour quelqu'un d'autre.",
        links=False,
        calendar=True,
    ),
    "reminder": Wording(
        "Rappel : rendez-vous demain",
        "Rappel : votre rendez-vous est demain",
        "Nous vous rappelons votre rendez-vous de demain.",
        links=True,
        calendar=False,
    ),
}
# When an agent of the town hall made the change, the citizen is told so.
STAFF_WORDINGS = {
    "booking_moved": Wording(
        "Rendez-vous déplacé par la mairie",
        "La mairie a déplacé votre rendez-vous",
        "Un agent de la mairie a déplacé votre rendez-vous. Voici sa nouvelle date ; "
        "l'ancienne est libérée.",
        links=True,
        calendar=True,
    ),
    "booking_cancelled": Wording(
        "Rendez-vous annulé par la mairie",
        "La mairie a annulé votre rendez-vous",
        "Un agent de la mairie a annulé votre rendez-vous. Vous pouvez en prendre un autre "
        "ou contacter la mairie.",
        links=False,
        calendar=True,
    ),
}


def _environment(autoescape: bool) -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=autoescape,  # noqa: S701 - off only for the text/plain part
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


_HTML = _environment(autoescape=True)
_TEXT = _environment(autoescape=False)


def _address(name: str, email: str) -> Address:
    _, addr_spec = parseaddr(email)
    if not addr_spec or "@" not in addr_spec:
        raise ValueError("unusable e-mail address")
    return Address(display_name=display_name(name), addr_spec=addr_spec)


def compose_email(
    kind: str,
    facts: BookingFacts,
    *,
    recipient: str,
    sender: str,
    reply_to: str,
    msgid: str,
    now: datetime,
    calendar: bytes | None = None,
    method: str | None = None,
    by_staff: bool = False,
) -> EmailMessage:
    wording = STAFF_WORDINGS.get(kind, WORDINGS[kind]) if by_staff else WORDINGS[kind]
    if wording.calendar != (calendar is not None) or (calendar is None) != (method is None):
        raise ValueError(f"{kind} needs a calendar and its method, or neither")
    if calendar is not None and f"METHOD:{method}\r\n".encode() not in calendar:
        raise ValueError("the MIME method must be the calendar's METHOD")
    context = {"f": facts, "w": wording}
    message = EmailMessage(policy=SMTP)
    message["Subject"] = one_line(f"{wording.subject} : {facts.type_title} le {facts.day}")
    sender_name, sender_address = parseaddr(sender)
    message["From"] = _address(sender_name, sender_address)
    message["To"] = _address(facts.citizen_name, recipient)
    if reply_to:
        message["Reply-To"] = _address(facts.commune, reply_to)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = msgid
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_TEXT.get_template("booking.txt").render(context), cte="quoted-printable")
    message.add_alternative(
        _HTML.get_template("booking.html").render(context), subtype="html", cte="quoted-printable"
    )
    if calendar is not None:
        message.add_alternative(
            calendar,
            maintype="text",
            subtype="calendar",
            params={"method": method, "charset": "utf-8"},
        )
        message.add_attachment(
            calendar,
            maintype="text",
            subtype="calendar",
            params={"method": method, "charset": "utf-8"},
            filename=ATTACHMENT_NAME,
        )
    # Set last: turning the message into a multipart moves Content-* headers to its parts.
    message["Content-Language"] = "fr"
    return message
