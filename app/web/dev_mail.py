"""The development mailbox, `/_dev/mail`: the e-mails and SMS written to the data folder when
no SMTP server or SMS operator is configured. Registered only when debugging is on (else
the address does not exist: 404).

A message's HTML part is cleaned with nh3 before it is shown (no script, no style, no event
handler survives); its text part is escaped, with its web addresses made clickable.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

import nh3
from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Response, Template
from markupsafe import Markup, escape

from app.notifications import mailbox

AnyRequest = Request[Any, Any, Any]
URL = re.compile(r"https?://[^\s<>\"']+")
BODY = re.compile(r"<body[^>]*>(.*)</body>", re.IGNORECASE | re.DOTALL)
HEADING = re.compile(r"<(/?)h([1-4])\b", re.IGNORECASE)


def linkify(text: str) -> Markup:
    """Escaped text whose http(s) addresses are links."""
    parts, last = [], 0
    for match in URL.finditer(text):
        parts.append(escape(text[last : match.start()]))
        url = escape(match.group(0))
        parts.append(Markup('<a href="{0}">{0}</a>').format(url))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def clean_html(html: str) -> Markup:
    """The message's body, sanitised, its headings moved under the page's own."""
    match = BODY.search(html)
    cleaned = nh3.clean(match.group(1) if match else html)
    cleaned = HEADING.sub(lambda m: f"<{m.group(1)}h{int(m.group(2)) + 2}", cleaned)
    return Markup(cleaned)  # noqa: S704 - sanitised by nh3 just above


def _parts(message: EmailMessage) -> dict[str, Any]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    attachments = [
        {"name": part.get_filename(), "type": part.get_content_type()}
        for part in message.iter_attachments()
    ]
    calendars = [
        part.get_content_type() + "; method=" + str(part.get_param("method"))
        for part in message.walk()
        if part.get_content_type() == "text/calendar"
    ]
    return {
        "text": linkify(text.get_content()) if text else None,
        "html": clean_html(html.get_content()) if html else None,
        "attachments": attachments,
        "calendars": calendars,
    }


class DevMailController(Controller):
    path = "/_dev/mail"

    @get("/", name="dev-mail")
    async def index(self, request: AnyRequest) -> Template:
        directory = mailbox.mailbox_dir(request.app.state.settings.data_dir)
        return Template(
            "dev/mail_list.html",
            context={"entries": mailbox.entries(directory), "page_title": "Boîte de développement"},
            headers={"Cache-Control": "no-store"},
        )

    @get("/{ident:str}", name="dev-mail-message")
    async def message(self, request: AnyRequest, ident: FromPath[str]) -> Template:
        directory = mailbox.mailbox_dir(request.app.state.settings.data_dir)
        email = mailbox.read_email(directory, ident)
        sms = None if email else mailbox.read_sms(directory, ident)
        if email is None and sms is None:
            raise NotFoundException()
        context: dict[str, Any] = {"ident": ident, "email": None, "sms": sms}
        if email is not None:
            context["email"] = {
                "subject": str(email["Subject"]),
                "from": str(email["From"]),
                "to": str(email["To"]),
                "date": str(email["Date"]),
                "message_id": str(email["Message-ID"]),
                **_parts(email),
            }
        title = context["email"]["subject"] if email else "SMS"
        return Template(
            "dev/mail_message.html",
            context={**context, "page_title": title},
            headers={"Cache-Control": "no-store"},
        )

    @get("/{ident:str}/rendez-vous.ics", name="dev-mail-attachment")
    async def attachment(self, request: AnyRequest, ident: FromPath[str]) -> Response[bytes]:
        directory = mailbox.mailbox_dir(request.app.state.settings.data_dir)
        email = mailbox.read_email(directory, ident)
        for part in email.iter_attachments() if email else []:
            if part.get_filename() == "rendez-vous.ics":
                return Response(
                    part.get_content(),
                    media_type="text/calendar",
                    headers={"Content-Disposition": 'attachment; filename="rendez-vous.ics"'},
                )
        raise NotFoundException()
