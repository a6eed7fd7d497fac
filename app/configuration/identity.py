"""The commune's identity page: name, logo, colour, contact, legal notice, accessibility
statement and the SMS switch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.ext.asyncio import AsyncSession

from app.configuration import colours, logo, markdown
from app.configuration.fields import Errors, checked, multiline, one_line
from app.db.models import Commune
from app.staff.audit import record

MAX_NAME = 200
TEXT_FIELDS = ("name", "primary_color", "contact_email", "contact_phone")


@dataclass(frozen=True)
class Identity:
    name: str
    primary_color: str
    contact_email: str
    contact_phone: str
    legal_notice_md: str
    accessibility_md: str
    sms_enabled: bool
    new_logo: logo.Logo | None
    remove_logo: bool


def form_values(commune: Commune) -> dict[str, str]:
    """What the form shows before any change."""
    return {
        "name": commune.name,
        "primary_color": commune.primary_color,
        "contact_email": commune.contact_email,
        "contact_phone": commune.contact_phone,
        "legal_notice_md": commune.legal_notice_md,
        "accessibility_md": commune.accessibility_md,
        "sms_enabled": "1" if commune.sms_enabled else "",
    }


def _phone(raw: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.region_code_for_number(number) == "FR":
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def parse(
    form: dict[str, str], upload: bytes | None
) -> tuple[Identity | None, Errors, dict[str, str]]:
    """Validates the submitted form. Returns the identity (or None), the errors and the
    values to show back (everything typed, so nothing is lost)."""
    values = {name: one_line(form.get(name, "")) for name in TEXT_FIELDS}
    for name in ("legal_notice_md", "accessibility_md"):
        values[name] = multiline(form.get(name, ""))
    values["sms_enabled"] = "1" if checked(form, "sms_enabled") else ""
    values["remove_logo"] = "1" if checked(form, "remove_logo") else ""
    errors = Errors()

    if not values["name"]:
        errors.add("name", "Saisissez le nom de la commune.")
    elif len(values["name"]) > MAX_NAME:
        errors.add("name", f"Saisissez le nom en {MAX_NAME} caractères au plus.")

    new_logo = None
    if upload:
        new_logo, message = logo.check(upload)
        if message:
            errors.add("logo", message)

    colour, message = colours.check(values["primary_color"])
    if message:
        errors.add("primary_color", message)

    email = values["contact_email"]
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors.add(
                "contact_email",
                "Saisissez une adresse électronique valide, par exemple mairie@exemple.fr.",
            )

    phone = values["contact_phone"]
    if phone:
        phone = _phone(phone) or ""
        if not phone:
            errors.add(
                "contact_phone",
                "Saisissez un numéro de téléphone valide, par exemple "
                "01\u00a023\u00a045\u00a067\u00a089.",
            )

    for name in ("legal_notice_md", "accessibility_md"):
        message = markdown.too_long(values[name])
        if message:
            errors.add(name, message)

    if errors:
        return None, errors, values
    identity = Identity(
        name=values["name"],
        primary_color=colour or "",
        contact_email=email,
        contact_phone=phone,
        legal_notice_md=values["legal_notice_md"],
        accessibility_md=values["accessibility_md"],
        sms_enabled=bool(values["sms_enabled"]),
        new_logo=new_logo,
        remove_logo=bool(values["remove_logo"]) and new_logo is None,
    )
    return identity, errors, values


async def save(
    session: AsyncSession, commune: Commune, identity: Identity, actor: Any, now: datetime
) -> None:
    """Writes the identity and records what changed in the audit trail."""
    before = form_values(commune)
    commune.name = identity.name
    commune.primary_color = identity.primary_color
    commune.contact_email = identity.contact_email
    commune.contact_phone = identity.contact_phone
    commune.legal_notice_md = identity.legal_notice_md
    commune.legal_notice_html = markdown.render(identity.legal_notice_md)
    commune.accessibility_md = identity.accessibility_md
    commune.accessibility_html = markdown.render(identity.accessibility_md)
    commune.sms_enabled = identity.sms_enabled
    changed = sorted(name for name, value in form_values(commune).items() if before[name] != value)
    if identity.new_logo is not None:
        commune.logo_data = identity.new_logo.data
        commune.logo_content_type = identity.new_logo.content_type
        commune.logo_digest = identity.new_logo.digest
        changed.append("logo")
    elif identity.remove_logo and commune.logo_digest:
        commune.logo_data = None
        commune.logo_content_type = ""
        commune.logo_digest = ""
        changed.append("logo")
    await session.flush()
    await record(
        session,
        actor,
        "commune.updated",
        f"commune:{commune.id}",
        "Identité de la commune modifiée" if changed else "Identité de la commune enregistrée",
        {"fields": changed},
        now=now,
    )
