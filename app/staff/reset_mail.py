"""The e-mail carrying a password link, written to the outbox (channel "email") in the
caller's transaction, like every message the platform sends."""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import StaffUser
from app.email_headers import display_name, message_id
from app.outbox.store import enqueue
from app.settings import Settings
from app.staff.reset_links import LIFETIMES, RESET, fingerprint, link_path

# One e-mail per account and password state per quarter of an hour, however often the
# form is sent: the form cannot be used to flood someone's inbox.
BUCKET_SECONDS = 15 * 60

TEXTS = {
    RESET: (
        "Réinitialisation de votre mot de passe",
        "Une demande de nouveau mot de passe a été faite pour votre compte du back-office "
        "Créneau ({commune}).\n\nPour choisir un nouveau mot de passe, ouvrez ce lien "
        "(valable une heure, une seule fois) :\n\n{link}\n\nSi vous n'êtes pas à l'origine de "
        "cette demande, ignorez ce message : votre mot de passe actuel reste valable.\n",
    ),
    "welcome": (
        "Votre compte Créneau : choisissez votre mot de passe",
        "Un compte a été créé pour vous sur le back-office Créneau ({commune}).\n\n"
        "Pour choisir votre mot de passe, ouvrez ce lien (valable trois jours, une seule "
        "fois) :\n\n{link}\n\nEnsuite, connectez-vous à l'adresse {login}.\n",
    ),
}


def compose(
    staff: StaffUser,
    purpose: str,
    link: str,
    login: str,
    commune: str,
    settings: Settings,
    msgid: str,
    now: datetime,
) -> EmailMessage:
    subject, body = TEXTS[purpose]
    message = EmailMessage(policy=SMTP)
    message["Subject"] = subject
    sender_name, sender_address = parseaddr(settings.mail.from_address)
    message["From"] = Address(display_name(sender_name), addr_spec=sender_address)
    message["To"] = Address(display_name(staff.display_name), addr_spec=staff.email)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = msgid
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = "fr"
    greeting = f"Bonjour {' '.join(staff.display_name.split())},\n\n"
    message.set_content(
        greeting + body.format(commune=commune, link=link, login=login),
        cte="quoted-printable",
    )
    return message


async def send_password_link(
    session: AsyncSession,
    staff: StaffUser,
    settings: Settings,
    now: datetime,
    *,
    commune: str,
    purpose: str = RESET,
) -> bool:
    """Enqueues the e-mail; False when the same one left less than a quarter-hour ago."""
    assert purpose in LIFETIMES
    bucket = int(now.timestamp()) // BUCKET_SECONDS
    key = f"staff_{purpose}:{staff.id}:{fingerprint(staff.password_hash)}:{bucket}"
    link = settings.base_url + link_path(settings.secret_key, staff, now, purpose)
    message = compose(
        staff,
        purpose,
        link,
        settings.base_url + "/admin/connexion",
        commune,
        settings,
        message_id(key, settings.uid_domain),
        now,
    )
    return await enqueue(
        session,
        channel="email",
        kind=f"staff_{purpose}",
        dedupe_key=key,
        payload={"to": staff.email, "message": message.as_string()},
        now=now,
    )
