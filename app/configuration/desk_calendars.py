"""A desk's calendar connection from the back office: « tester la connexion », save,
disconnect. The network is only used outside database transactions; the password is
never shown back nor logged (kept when the field is left empty, for the same server and
account only)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar_sync.channel import owed_publications
from app.calendar_sync.client import Account, normalise_url
from app.calendar_sync.connections import account_of, load_connection, save_connection
from app.calendar_sync.credentials import CredentialsUnreadable, decrypt_password
from app.calendar_sync.desk_event import DEFAULT_DETAILS, DETAILS
from app.calendar_sync.diagnose import Report, check_connection
from app.db.models import Booking, Commune, Desk, PublishedEvent, StaffUser
from app.db.session import Database
from app.settings import Settings
from app.staff.audit import record

UNREADABLE = (
    "Le mot de passe enregistré ne peut plus être lu (la clé secrète du serveur a changé) : "
    "saisissez-le à nouveau."
)

MISSING_PASSWORD = "Indiquez le mot de passe du compte d'agenda."  # noqa: S105 - a message
OTHER_ACCOUNT = (
    "Le serveur ou l'identifiant a changé : saisissez le mot de passe de ce compte (le mot "
    "de passe enregistré n'est envoyé qu'au serveur et au compte pour lesquels il a été donné)."
)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(normalise_url(url))
    return parts.scheme.lower(), parts.netloc.lower()


def same_account(stored: Any, server_url: str, username: str) -> bool:
    """True when the form names the stored connection's server and account: only then may
    its password be reused (else it would be sent to whichever server was typed)."""
    return stored.username == username and _origin(stored.server_url) == _origin(server_url)


@dataclass(frozen=True)
class CalendarForm:
    server_url: str
    username: str
    password: str = field(repr=False)  # empty: keep the stored one
    agent_email: str
    publish_calendar_url: str
    read_calendar_urls: list[str]
    all_busy: bool

    def errors(self, has_stored_password: bool) -> dict[str, str]:
        errors = {}
        if not self.server_url.startswith(("https://", "http://")):
            errors["server_url"] = (
                "Indiquez l'adresse du serveur d'agenda, commençant par https://."
            )
        if not self.username:
            errors["username"] = "Indiquez l'identifiant du compte d'agenda."
        if not self.password and not has_stored_password:
            errors["calendar_password"] = MISSING_PASSWORD
        if self.agent_email and "@" not in self.agent_email:
            errors["agent_email"] = "Saisissez une adresse e-mail valide, ou laissez vide."
        return errors


@dataclass(frozen=True)
class Outcome:
    report: Report | None
    saved: bool
    problem: str | None = None


async def _password(
    db: Database, settings: Settings, desk_id: int, form: CalendarForm
) -> tuple[str | None, str | None]:
    """(the password to use, or None and the French reason)."""
    if form.password:
        return form.password, None
    async with db.read() as session:
        stored = await load_connection(session, desk_id)
    if stored is None:
        return None, MISSING_PASSWORD
    if not same_account(stored, form.server_url, form.username):
        return None, OTHER_ACCOUNT
    try:
        return decrypt_password(settings.secret_key, stored.password_encrypted), None
    except CredentialsUnreadable:
        return None, UNREADABLE


async def connect(
    db: Database, settings: Settings, actor: StaffUser, desk: Desk, form: CalendarForm,
    now: datetime,
) -> Outcome:  # fmt: skip
    """Tests the account, and saves it only if every step passed."""
    password, problem = await _password(db, settings, desk.id, form)
    if password is None:
        return Outcome(None, False, problem)
    account = Account(
        form.server_url,
        form.username,
        password,
        settings.caldav_timeout_seconds,
        settings.caldav_ca_bundle or None,
    )
    report = await asyncio.to_thread(
        check_connection, account, form.publish_calendar_url, tuple(form.read_calendar_urls)
    )
    if not report.ok:
        return Outcome(report, False)
    publish = form.publish_calendar_url
    read = form.read_calendar_urls or ([publish] if publish else [])
    async with db.write() as session:
        await save_connection(
            session, settings, desk_id=desk.id, server_url=report.server_url,
            username=form.username, password=password, publish_calendar_url=publish,
            read_calendar_urls=read, all_busy=form.all_busy, agent_email=form.agent_email,
            now=now,
        )  # fmt: skip
        await record(
            session, actor, "desk.calendar", f"desk:{desk.id}",
            f"Agenda du guichet « {desk.name} » connecté ({form.username}).",
            {"serveur": report.server_url, "publication": publish, "lecture": read,
             "tout_occupe": form.all_busy},
            now=now,
        )  # fmt: skip
    async with db.write() as session:
        await owed_publications(session, desk.id, now)
    return Outcome(report, True)


async def test_stored(db: Database, settings: Settings, desk_id: int) -> Outcome:
    async with db.read() as session:
        connection = await load_connection(session, desk_id)
    if connection is None:
        return Outcome(None, False, "Ce guichet n'a pas d'agenda connecté.")
    try:
        account = account_of(connection, settings)
    except CredentialsUnreadable:
        return Outcome(None, False, UNREADABLE)
    report = await asyncio.to_thread(
        check_connection,
        account,
        connection.publish_calendar_url,
        tuple(source.url for source in connection.sources),
    )
    return Outcome(report, False)


async def disconnect(session: AsyncSession, actor: StaffUser, desk: Desk, now: datetime) -> bool:
    connection = await load_connection(session, desk.id)
    if connection is None:
        return False
    await session.delete(connection)
    await record(session, actor, "desk.calendar", f"desk:{desk.id}",
                 f"Agenda du guichet « {desk.name} » déconnecté.", now=now)  # fmt: skip
    return True


@dataclass(frozen=True)
class Drift:
    """A booking's event found changed or removed on the calendar server, and restored."""

    reference: str
    start: datetime
    text: str


async def drifts(session: AsyncSession, desk_id: int, limit: int = 50) -> list[Drift]:
    """The latest drifts recorded on the events of the desk's bookings, newest first."""
    rows = await session.execute(
        select(Booking.reference, Booking.start, PublishedEvent.drift)
        .join(PublishedEvent, PublishedEvent.booking_id == Booking.id)
        .where(Booking.desk_id == desk_id, PublishedEvent.drift != "")
        .order_by(PublishedEvent.updated_at.desc(), Booking.id.desc())
        .limit(limit)
    )
    return [Drift(reference, start, text) for reference, start, text in rows.all()]


async def details_choice(session: AsyncSession) -> str:
    commune = (await session.execute(select(Commune).order_by(Commune.id).limit(1))).scalar()
    return commune.calendar_details if commune is not None else DEFAULT_DETAILS


DETAILS_ERROR = "Choisissez ce que les agendas des agents montrent des usagers."


async def choose_details(
    session: AsyncSession, actor: StaffUser, value: str, now: datetime
) -> str | None:
    """Saves what agents' calendar events and feeds say about the person; returns the
    French error for a value not offered (then nothing changes). Events already published
    are rewritten as their bookings change; feeds show the choice at once."""
    if value not in DETAILS:
        return DETAILS_ERROR
    commune = (await session.execute(select(Commune).order_by(Commune.id).limit(1))).scalar()
    if commune is None or commune.calendar_details == value:
        return None
    commune.calendar_details = value
    await record(
        session, actor, "commune.calendar_details", f"commune:{commune.id}",
        f"Agendas des agents : « {DETAILS[value]} ».", {"choix": value}, now=now,
    )  # fmt: skip
    return None
