"""The outbox channels "email" and "sms": to the configured SMTP server or SMS operator, or
to the development mailbox when none is configured."""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr
from pathlib import Path

import aiosmtplib

from app.notifications import mailbox
from app.notifications.sms_providers import sms_provider
from app.outbox.channels import Deliver, PermanentFailure
from app.outbox.store import Delivery
from app.settings import MailSettings, Settings


def _message_id(raw: bytes) -> str:
    for line in raw.split(b"\r\n"):
        if not line:
            break
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode()
    raise ValueError("a queued e-mail has no Message-ID")


async def send_smtp(mail: MailSettings, recipient: str, raw: bytes) -> None:
    """One SMTP transaction. A refused recipient (5xx) is permanent; the rest is retried."""
    try:
        await aiosmtplib.send(
            raw,
            sender=parseaddr(mail.from_address)[1],
            recipients=[recipient],
            hostname=mail.host,
            port=mail.port,
            username=mail.username or None,
            password=mail.password or None,
            use_tls=mail.security == "tls",
            start_tls=mail.security == "starttls",
            cert_bundle=mail.ca_file or None,
            timeout=mail.timeout_seconds,
        )
    except aiosmtplib.SMTPRecipientsRefused as error:
        codes = [refusal.code for refusal in error.recipients]
        if all(500 <= code < 600 for code in codes):
            raise PermanentFailure(f"adresse refusée par le serveur SMTP ({codes})") from None
        raise


def email_channel(settings: Settings) -> Deliver:
    if settings.mail.host:

        async def deliver_by_smtp(delivery: Delivery) -> None:
            raw = delivery.payload["message"].encode()
            await send_smtp(settings.mail, delivery.payload["to"], raw)

        return deliver_by_smtp

    directory = mailbox.mailbox_dir(settings.data_dir)

    async def deliver_to_mailbox(delivery: Delivery) -> None:
        raw = delivery.payload["message"].encode()
        mailbox.write_email(directory, raw, _message_id(raw), delivery.booking_id)

    return deliver_to_mailbox


def sms_channel(settings: Settings) -> Deliver:
    provider = sms_provider(settings.sms)
    if provider is not None:

        async def deliver_by_operator(delivery: Delivery) -> None:
            await provider.send(
                delivery.payload["to"], delivery.payload["text"], delivery.dedupe_key
            )

        return deliver_by_operator

    directory = mailbox.mailbox_dir(settings.data_dir)

    async def deliver_sms_to_mailbox(delivery: Delivery) -> None:
        payload = delivery.payload
        mailbox.write_sms(
            directory,
            payload["to"],
            payload["text"],
            delivery.dedupe_key,
            datetime.fromisoformat(payload["date"]),
            delivery.booking_id,
        )

    return deliver_sms_to_mailbox


def mailbox_warning(settings: Settings) -> str | None:
    """What a start outside debugging says when e-mails would only be written to files (no
    SMTP server): nobody receives them, and they hold personal data until the retention
    job erases them. None when a server is configured, or when debugging."""
    if settings.debug or settings.mail.host:
        return None
    folder: Path = mailbox.mailbox_dir(settings.data_dir).resolve()
    sms = (
        "Les SMS, si la commune les a activés, y sont écrits aussi (CRENEAU_SMS_PROVIDER\n"
        "n'est pas défini).\n"
        if sms_provider(settings.sms) is None
        else ""
    )
    rule = "!" * 78
    return (
        f"{rule}\n"
        "ATTENTION : CRENEAU_SMTP_HOST n'est pas défini, AUCUN E-MAIL N'EST ENVOYÉ.\n"
        f"Les e-mails sont écrits dans le dossier {folder}\n"
        "(fichiers .eml avec les noms et adresses des citoyens).\n"
        f"{sms}"
        "La tâche d'effacement des données personnelles les supprime avec les rendez-vous\n"
        "anonymisés. En production, configurez le serveur SMTP (docs/OPERATIONS.md).\n"
        f"{rule}"
    )
