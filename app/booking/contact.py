"""What a valid set of contact details is: names, email, mobile phone, the type's extra fields."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

MAX_NAME = 100
MAX_EXTRA = 500
DEFAULT_REGION = "FR"


@dataclass(frozen=True)
class ContactDetails:
    last_name: str
    first_name: str
    email: str
    phone: str  # E.164
    extra: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "last_name": self.last_name,
            "first_name": self.first_name,
            "email": self.email,
            "phone": self.phone,
            "extra": dict(self.extra),
        }


@dataclass(frozen=True)
class ContactErrors:
    """Field name → message in French, in the order of the form."""

    messages: dict[str, str]

    def __bool__(self) -> bool:
        return bool(self.messages)


def _clean(value: str) -> str:
    """One line of text: control characters and surrounding spaces removed."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())


KIND_MESSAGES = {
    "number": "Le champ « {label} » attend un nombre, en chiffres.",
    "date": "Le champ « {label} » attend une date, par exemple 31/12/2010.",
    "predemande": (
        "Le champ « {label} » attend un numéro de dix caractères, lettres et chiffres, par "
        "exemple 2A3B4C5D6E (un numéro par personne, séparés par des virgules)."
    ),
}
# An ANTS pre-application number (passports and identity cards): ten capital letters and
# digits.
PRE_APPLICATION = re.compile(r"[A-Z0-9]{10}")


def pre_application_numbers(value: str) -> str | None:
    """The pre-application numbers typed, one per person, separated by commas or
    semicolons; spaces and lowercase are tolerated: normalised as "2A3B4C5D6E, 7F8G9H0J1K".
    None when one of them is not ten letters and digits."""
    numbers = ["".join(part.split()).upper() for part in re.split(r"[,;]", value)]
    numbers = [number for number in numbers if number]
    if not numbers or not all(PRE_APPLICATION.fullmatch(number) for number in numbers):
        return None
    return ", ".join(numbers)


def _fits_kind(value: str, kind: str) -> bool:
    """An extra field's answer matches what the commune asked for (text, number, date,
    pre-application numbers)."""
    if kind == "predemande":
        return pre_application_numbers(value) is not None
    if kind == "number":
        return value.replace(" ", "").isdecimal()
    if kind == "date":
        for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
            try:
                datetime.strptime(value, pattern)
                return True
            except ValueError:
                continue
        return False
    return True


MOBILE_KINDS = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


def normalise_phone(
    raw: str, region: str = DEFAULT_REGION, *, mobile_only: bool = True
) -> str | None:
    """The number in E.164 if it is a valid mobile (or possibly mobile) number — or any
    valid number when not `mobile_only` — else None."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if mobile_only and phonenumbers.number_type(number) not in MOBILE_KINDS:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    """Whether a stored number can receive an SMS (staff may record a landline)."""
    try:
        return phonenumbers.number_type(phonenumbers.parse(e164, None)) in MOBILE_KINDS
    except phonenumbers.NumberParseException:
        return False


def display_phone(e164: str) -> str:
    """A number as people read it: "06 12 34 56 78" in France, international elsewhere."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == DEFAULT_REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@dataclass(frozen=True)
class _Wording:
    last_name: str
    first_name: str
    email_missing: str
    phone_missing: str
    phone_invalid: str


CITIZEN = _Wording(
    "votre nom",
    "votre prénom",
    "Saisissez votre adresse électronique.",
    "Saisissez votre numéro de téléphone mobile.",
    "Saisissez un numéro de téléphone mobile valide, par exemple "
    "06\u00a012\u00a034\u00a056\u00a078.",
)
STAFF = _Wording(
    "le nom de la personne",
    "le prénom de la personne",
    "",
    "",
    "Saisissez un numéro de téléphone valide, par exemple 06\u00a012\u00a034\u00a056\u00a078 "
    "ou 03\u00a020\u00a012\u00a034\u00a056, ou laissez le champ vide.",
)


def validate_contact(
    form: dict[str, str], extra_fields: Sequence[Mapping[str, Any]], *, for_staff: bool = False
) -> tuple[ContactDetails | None, ContactErrors, dict[str, str]]:
    """Checks the submitted values. Returns the details (or None), the errors and the
    cleaned values to show back in the form, so nothing the citizen typed is lost.

    `for_staff`: an agent booking for someone on the phone or at the desk. E-mail and phone
    are then optional (an empty value is stored as ""), and the phone may be a landline.
    """
    wording = STAFF if for_staff else CITIZEN
    values = {name: _clean(form.get(name, "")) for name in ("last_name", "first_name", "email")}
    values["phone"] = _clean(form.get("phone", ""))
    errors: dict[str, str] = {}

    for name, label in (("last_name", wording.last_name), ("first_name", wording.first_name)):
        if not values[name]:
            errors[name] = f"Saisissez {label}."
        elif len(values[name]) > MAX_NAME:
            errors[name] = f"Saisissez {label} en {MAX_NAME} caractères au plus."

    email = values["email"]
    if not email:
        if not for_staff:
            errors["email"] = wording.email_missing
    else:
        try:
            # An accented name before the @ (SMTPUTF8) cannot be written in the messages'
            # headers: refused here, not when the confirmation is composed (a 500).
            email = validate_email(
                email, check_deliverability=False, allow_smtputf8=False
            ).normalized
        except EmailNotValidError:
            errors["email"] = (
                "Saisissez une adresse électronique valide, par exemple nom@exemple.fr."
            )

    phone = ""
    if not values["phone"]:
        if not for_staff:
            errors["phone"] = wording.phone_missing
    else:
        phone = normalise_phone(values["phone"], mobile_only=not for_staff) or ""
        if not phone:
            errors["phone"] = wording.phone_invalid

    extra: dict[str, str] = {}
    for spec in extra_fields:
        key = f"extra_{spec['name']}"
        value = _clean(form.get(key, ""))
        values[key] = value
        if spec.get("required") and not value:
            errors[key] = f"Renseignez le champ « {spec['label']} »."
        elif len(value) > MAX_EXTRA:
            errors[key] = f"Le champ « {spec['label']} » accepte {MAX_EXTRA} caractères au plus."
        elif value and not _fits_kind(value, spec.get("kind", "text")):
            errors[key] = KIND_MESSAGES[spec["kind"]].format(label=spec["label"])
        elif value and spec.get("kind") == "predemande":
            value = pre_application_numbers(value) or value  # stored normalised
        extra[spec["name"]] = value

    if errors:
        return None, ContactErrors(errors), values
    details = ContactDetails(
        last_name=values["last_name"],
        first_name=values["first_name"],
        email=email,
        phone=phone,
        extra=extra,
    )
    return details, ContactErrors({}), values
