"""Appointment types as administrators write them: the form's values checked, then saved
(Markdown source and its sanitised HTML), activated or deactivated."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.booking.locking import lock_type
from app.configuration import markdown
from app.configuration.cancellations import Decision, cancel_for_configuration
from app.configuration.fields import Errors, checked, integer, multiline, one_line
from app.db.models import AppointmentType, Booking, Desk, Site
from app.settings import Settings
from app.staff.audit import record

EXTRA_KINDS = {
    "text": "Texte",
    "number": "Nombre",
    "date": "Date",
    "predemande": "Numéro(s) de pré-demande ANTS",
}
EXTRA_ROWS_FREE = 2  # empty rows offered for new extra fields (no JavaScript needed)
MAX_EXTRA_FIELDS = 10
# What _slugify gives; a hidden extra_name_N that is not of this form was not ours.
EXTRA_NAME = re.compile(r"[a-z0-9_]{1,60}")

# (field, label used in messages, minimum, maximum)
NUMBERS: tuple[tuple[str, str, int, int], ...] = (
    ("slot_minutes", "la durée d'un rendez-vous (en minutes)", 5, 480),
    ("max_people", "le nombre maximum de personnes par rendez-vous", 1, 50),
    ("capacity", "la capacité (personnes reçues en même temps par guichet)", 1, 100),
    ("staff_reserved_places", "le nombre de places réservées au personnel", 0, 100),
    ("min_delay_minutes", "le délai minimum avant le rendez-vous (en minutes)", 0, 43_200),
    ("horizon_days", "l'horizon de réservation (en jours)", 1, 730),
    ("limit_bookings", "le nombre de rendez-vous par personne (0 = sans limite)", 0, 100),
    ("limit_period_days", "la période de la limite (en jours)", 1, 3650),
    ("hold_minutes", "la durée de réservation temporaire (en minutes)", 1, 120),
    ("cooldown_minutes", "le délai de remise en ligne d'un créneau annulé (minutes)", 0, 10_080),
)  # fmt: skip


@dataclass(frozen=True)
class TypeValues:
    site_id: int
    title: str
    service: str
    description_md: str
    gdpr_md: str
    what_to_bring: str
    numbers: dict[str, int]
    duration_per_person: bool
    extra_fields: list[dict[str, Any]]
    desk_ids: tuple[int, ...]
    active: bool


@dataclass
class TypeForm:
    """The values to show in the form (all strings) and the desks ticked."""

    values: dict[str, str]
    desk_ids: list[int] = field(default_factory=list)
    extras: list[dict[str, str]] = field(default_factory=list)


def _slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "type"


def blank_form() -> TypeForm:
    values = {name: "" for name, *_ in NUMBERS}
    values.update(
        slot_minutes="30", max_people="1", capacity="1", staff_reserved_places="0",
        min_delay_minutes="120", horizon_days="60", limit_bookings="0",
        limit_period_days="30", hold_minutes="10", cooldown_minutes="0",
        site_id="", title="", service="", description_md="", gdpr_md="", what_to_bring="",
        duration_per_person="", active="1",
    )  # fmt: skip
    return TypeForm(values, [], _with_free_rows([]))


def form_of(appointment_type: AppointmentType) -> TypeForm:
    """The form of an existing type. A text written before Markdown was offered is shown
    as its HTML, which Markdown keeps as it is."""
    values = {name: str(getattr(appointment_type, name)) for name, *_ in NUMBERS}
    values.update(
        site_id=str(appointment_type.site_id),
        title=appointment_type.title,
        service=appointment_type.service,
        description_md=appointment_type.description_md or appointment_type.description_html,
        gdpr_md=appointment_type.gdpr_md or appointment_type.gdpr_html,
        what_to_bring=appointment_type.what_to_bring,
        duration_per_person="1" if appointment_type.duration_per_person else "",
        active="1" if appointment_type.active else "",
    )
    extras = [
        {
            "name": spec.get("name", ""),
            "label": spec.get("label", ""),
            "hint": spec.get("hint", ""),
            "required": "1" if spec.get("required") else "",
            "kind": spec.get("kind", "text"),
        }
        for spec in appointment_type.extra_fields or []
    ]
    return TypeForm(values, [desk.id for desk in appointment_type.desks], _with_free_rows(extras))


def _with_free_rows(extras: list[dict[str, str]]) -> list[dict[str, str]]:
    free = {"name": "", "label": "", "hint": "", "required": "", "kind": "text"}
    room = max(0, min(EXTRA_ROWS_FREE, MAX_EXTRA_FIELDS - len(extras)))
    return [*extras, *({**free} for _ in range(room))]


def _extras(
    form: dict[str, str], errors: Errors
) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """The extra contact fields: rows extra_label_N, extra_hint_N, extra_required_N,
    extra_kind_N, extra_name_N (hidden, kept for existing fields). An empty label drops the
    row."""
    rows: list[dict[str, str]] = []
    specs: list[dict[str, Any]] = []
    names: set[str] = set()
    count = 0
    while f"extra_label_{count}" in form and count < MAX_EXTRA_FIELDS + EXTRA_ROWS_FREE:
        count += 1
    for index in range(count):
        row = {
            "name": one_line(form.get(f"extra_name_{index}", "")),
            "label": one_line(form.get(f"extra_label_{index}", "")),
            "hint": one_line(form.get(f"extra_hint_{index}", "")),
            "required": "1" if checked(form, f"extra_required_{index}") else "",
            "kind": form.get(f"extra_kind_{index}", "text"),
        }
        rows.append(row)
        if not row["label"]:
            continue
        if len(row["label"]) > 100:
            errors.add(f"extra_label_{index}", "Saisissez un libellé de 100 caractères au plus.")
        if row["kind"] not in EXTRA_KINDS:
            errors.add(f"extra_kind_{index}", "Choisissez le type de réponse attendu.")
        name = row["name"] if EXTRA_NAME.fullmatch(row["name"]) else ""
        name = name or _slugify(row["label"]).replace("-", "_")
        base, n = name, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.add(name)
        row["name"] = name
        specs.append(
            {
                "name": name,
                "label": row["label"],
                "required": bool(row["required"]),
                "hint": row["hint"],
                "kind": row["kind"],
            }
        )
    if len(specs) > MAX_EXTRA_FIELDS:
        errors.add("extra_label_0", f"{MAX_EXTRA_FIELDS} champs supplémentaires au plus.")
    return rows, specs


def parse(
    form: dict[str, str], desk_ids: list[str], sites: list[Site]
) -> tuple[TypeValues | None, Errors, TypeForm]:
    """Checks the submitted type. `sites` come with their desks loaded."""
    errors = Errors()
    values = {
        name: one_line(form.get(name, ""))
        for name in ("site_id", "title", "service", *(n for n, *_ in NUMBERS))
    }
    for name in ("description_md", "gdpr_md", "what_to_bring"):
        values[name] = multiline(form.get(name, ""))
    values["duration_per_person"] = "1" if checked(form, "duration_per_person") else ""
    values["active"] = "1" if checked(form, "active") else ""
    chosen = sorted({int(d) for d in desk_ids if d.isdecimal() and len(d) < 10})
    rows, specs = _extras(form, errors)
    shown = TypeForm(values, chosen, _with_free_rows([r for r in rows if r["label"]]))

    if not values["title"]:
        errors.add("title", "Saisissez le titre du rendez-vous.")
    elif len(values["title"]) > 200:
        errors.add("title", "Saisissez un titre de 200 caractères au plus.")
    if len(values["service"]) > 200:
        errors.add("service", "Saisissez un service de 200 caractères au plus.")
    site = next((s for s in sites if str(s.id) == values["site_id"]), None)
    if site is None:
        errors.add("site_id", "Choisissez le lieu où le rendez-vous a lieu.")
    if not values["description_md"]:
        errors.add(
            "description_md", "Décrivez le rendez-vous : les citoyens le lisent avant de réserver."
        )
    if not values["gdpr_md"]:
        errors.add(
            "gdpr_md", "Saisissez la mention d'information sur les données personnelles (RGPD)."
        )
    for name in ("description_md", "gdpr_md", "what_to_bring"):
        message = markdown.too_long(values[name])
        if message:
            errors.add(name, message)

    numbers = {
        name: integer(errors, values, name, label, minimum=low, maximum=high)
        for name, label, low, high in NUMBERS
    }
    exclusive = numbers["capacity"] == 1 or values["duration_per_person"]
    if not values["duration_per_person"] and numbers["max_people"] > numbers["capacity"] > 0:
        errors.add(
            "max_people",
            "Le nombre maximum de personnes dépasse la capacité : un tel rendez-vous ne "
            "trouverait jamais de place. Augmentez la capacité ou cochez « la durée dépend du "
            "nombre de personnes ».",
        )
    if exclusive and numbers["staff_reserved_places"] > max(len(chosen), 1):
        errors.add(
            "staff_reserved_places",
            "Quand chaque rendez-vous occupe tout le guichet, les places réservées au "
            "personnel se comptent en guichets : pas plus que le nombre de guichets cochés.",
        )
    elif not exclusive and numbers["staff_reserved_places"] > numbers["capacity"]:
        errors.add(
            "staff_reserved_places",
            "Les places réservées au personnel ne peuvent pas dépasser la capacité.",
        )
    if numbers["min_delay_minutes"] >= numbers["horizon_days"] * 1440 > 0:
        errors.add(
            "min_delay_minutes",
            "Le délai minimum doit être plus court que l'horizon de réservation.",
        )

    if not chosen:
        errors.add("desks", "Cochez au moins un guichet qui reçoit ce rendez-vous.")
    elif site is not None and not set(chosen) <= {desk.id for desk in site.desks}:
        errors.add(
            "desks",
            f"Cochez seulement des guichets du lieu « {site.name} » : un rendez-vous est "
            "reçu là où il a lieu.",
        )

    if errors or site is None:  # a missing site is one of the errors
        return None, errors, shown
    return (
        TypeValues(
            site_id=site.id,
            title=values["title"],
            service=values["service"],
            description_md=values["description_md"],
            gdpr_md=values["gdpr_md"],
            what_to_bring=values["what_to_bring"],
            numbers=numbers,
            duration_per_person=bool(values["duration_per_person"]),
            extra_fields=specs,
            desk_ids=tuple(chosen),
            active=bool(values["active"]),
        ),
        errors,
        shown,
    )


async def sites_with_desks(session: AsyncSession) -> list[Site]:
    return list(
        (
            await session.execute(
                select(Site).options(selectinload(Site.desks)).order_by(Site.position, Site.id)
            )
        ).scalars()
    )


async def all_types(session: AsyncSession) -> list[AppointmentType]:
    return list(
        (
            await session.execute(
                select(AppointmentType)
                .join(Site)
                .options(selectinload(AppointmentType.site), selectinload(AppointmentType.desks))
                .order_by(Site.position, Site.id, AppointmentType.position, AppointmentType.id)
            )
        ).scalars()
    )


async def find(session: AsyncSession, type_id: int) -> AppointmentType | None:
    if not 0 < type_id < 2**31:
        return None
    return (
        await session.execute(
            select(AppointmentType)
            .where(AppointmentType.id == type_id)
            .options(selectinload(AppointmentType.site), selectinload(AppointmentType.desks))
        )
    ).scalar()


async def future_bookings(session: AsyncSession, type_id: int, now: datetime) -> int:
    """Confirmed bookings of the type not yet begun."""
    return (
        await session.execute(
            select(func.count(Booking.id)).where(
                Booking.type_id == type_id, Booking.status == "confirmed", Booking.start > now
            )
        )
    ).scalar_one()


async def _unique_slug(session: AsyncSession, title: str) -> str:
    base = _slugify(title)
    taken = set(
        (
            await session.execute(
                select(AppointmentType.slug).where(AppointmentType.slug.like(f"{base}%"))
            )
        ).scalars()
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _apply(appointment_type: AppointmentType, values: TypeValues, desks: list[Desk]) -> None:
    appointment_type.site_id = values.site_id
    appointment_type.title = values.title
    appointment_type.service = values.service
    appointment_type.description_md = values.description_md
    appointment_type.description_html = markdown.render(values.description_md, heading_offset=2)
    appointment_type.gdpr_md = values.gdpr_md
    appointment_type.gdpr_html = markdown.render(values.gdpr_md, heading_offset=2)
    appointment_type.what_to_bring = values.what_to_bring
    for name, number in values.numbers.items():
        setattr(appointment_type, name, number)
    appointment_type.duration_per_person = values.duration_per_person
    appointment_type.extra_fields = values.extra_fields
    appointment_type.desks = desks
    appointment_type.active = values.active


async def _desks(session: AsyncSession, ids: tuple[int, ...]) -> list[Desk]:
    return list(
        (await session.execute(select(Desk).where(Desk.id.in_(ids)).order_by(Desk.id))).scalars()
    )


async def create(
    session: AsyncSession, values: TypeValues, actor: Any, now: datetime
) -> AppointmentType:
    last = (await session.execute(select(func.max(AppointmentType.position)))).scalar() or 0
    appointment_type = AppointmentType(
        slug=await _unique_slug(session, values.title), position=last + 1, desks=[]
    )
    _apply(appointment_type, values, await _desks(session, values.desk_ids))
    session.add(appointment_type)
    await session.flush()
    await record(
        session,
        actor,
        "type.created",
        f"appointment_type:{appointment_type.id}",
        f"Type de rendez-vous créé : {appointment_type.title}",
        now=now,
    )
    return appointment_type


@dataclass(frozen=True)
class NeedsDecision:
    """Nothing changed: these bookings are on desks the change removes from the type."""

    stranded: list[Booking]


async def stranded_bookings(
    session: AsyncSession,
    appointment_type: AppointmentType,
    desk_ids: tuple[int, ...],
    now: datetime,
) -> list[Booking]:
    """Confirmed bookings still to come of this type on the desks that would stop serving it."""
    removed = {desk.id for desk in appointment_type.desks} - set(desk_ids)
    if not removed:
        return []
    return list(
        (
            await session.execute(
                select(Booking)
                .where(
                    Booking.type_id == appointment_type.id,
                    Booking.status == "confirmed",
                    Booking.start > now,
                    Booking.desk_id.in_(removed),
                )
                .options(selectinload(Booking.type), selectinload(Booking.desk))
                .order_by(Booking.start, Booking.id)
            )
        ).scalars()
    )


async def update(
    session: AsyncSession,
    appointment_type: AppointmentType,
    values: TypeValues,
    actor: Any,
    now: datetime,
    *,
    settings: Settings,
    decision: Decision | None = None,
    shown: set[int] | None = None,
) -> list[str] | NeedsDecision:
    """Saves the type; returns the names of the fields that changed. If desks with
    bookings still to come would stop serving the type and the administrator has not
    decided about exactly those bookings (`shown`), nothing changes and they are returned.
    The type is locked first: no hold or booking of it lands meanwhile."""
    await lock_type(session, appointment_type.id)
    stranded = await stranded_bookings(session, appointment_type, values.desk_ids, now)
    if stranded and (decision is None or {b.id for b in stranded} != shown):
        return NeedsDecision(stranded)
    cancelled: list[str] = []
    if decision is Decision.CANCEL:
        for booking in stranded:
            if await cancel_for_configuration(session, booking, now, settings):
                cancelled.append(booking.reference)
    before = form_of(appointment_type)
    _apply(appointment_type, values, await _desks(session, values.desk_ids))
    await session.flush()
    after = form_of(appointment_type)
    changed = sorted(k for k, v in after.values.items() if before.values.get(k) != v)
    if before.desk_ids != after.desk_ids:
        changed.append("desks")
    if before.extras != after.extras:
        changed.append("extra_fields")
    details: dict[str, Any] = {"fields": changed}
    if stranded:
        key = "cancelled" if decision is Decision.CANCEL else "kept_on_removed_desks"
        details[key] = cancelled if decision is Decision.CANCEL else [b.reference for b in stranded]
    await record(
        session,
        actor,
        "type.updated",
        f"appointment_type:{appointment_type.id}",
        f"Type de rendez-vous modifié : {appointment_type.title}",
        details,
        now=now,
    )
    return changed


async def set_active(
    session: AsyncSession,
    appointment_type: AppointmentType,
    active: bool,
    actor: Any,
    now: datetime,
) -> None:
    appointment_type.active = active
    await session.flush()
    await record(
        session,
        actor,
        "type.activated" if active else "type.deactivated",
        f"appointment_type:{appointment_type.id}",
        f"Type de rendez-vous {'activé' if active else 'désactivé'} : {appointment_type.title}",
        now=now,
    )
