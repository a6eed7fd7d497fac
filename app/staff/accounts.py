"""Staff accounts: creation, login, password changes, roles and sites."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.db.models import Site, StaffUser
from app.db.session import Database
from app.staff import passwords, sessions, throttle
from app.staff.audit import record
from app.staff.roles import Role
from app.staff.roles import label as role_label

BAD_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."


class AccountError(ValueError):
    """A refused change; the message is French, for the person who asked."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def checked_email(email: str) -> str:
    """The address lower-cased, or AccountError when it is not an e-mail address."""
    try:
        return normalise_email(validate_email(email.strip(), check_deliverability=False).normalized)
    except EmailNotValidError:
        raise AccountError(
            "Saisissez une adresse e-mail valide, par exemple nom@mairie.fr."
        ) from None


async def by_email(session: AsyncSession, email: str) -> StaffUser | None:
    return (
        await session.execute(
            select(StaffUser)
            .where(StaffUser.email == normalise_email(email))
            .options(selectinload(StaffUser.sites))
        )
    ).scalar()


async def by_id(session: AsyncSession, staff_id: int) -> StaffUser | None:
    return (
        await session.execute(
            select(StaffUser).where(StaffUser.id == staff_id).options(selectinload(StaffUser.sites))
        )
    ).scalar()


async def create_account(
    session: AsyncSession,
    *,
    commune_id: int,
    email: str,
    display_name: str,
    role: Role,
    now: datetime,
    password: str | None = None,
    site_ids: list[int] | None = None,
    actor: StaffUser | None = None,
) -> StaffUser:
    """A new account; without a password it waits for one chosen through the reset link."""
    address = checked_email(email)
    name = " ".join(display_name.split())
    if not name:
        raise AccountError("Indiquez le nom de la personne.")
    if len(name) > 200:
        raise AccountError("Le nom ne doit pas dépasser 200 caractères.")
    if password is not None and (problem := passwords.password_problem(password)):
        raise AccountError(problem)
    if await by_email(session, address) is not None:
        raise AccountError("Un compte existe déjà avec cette adresse e-mail.")
    password_hash = (
        await asyncio.to_thread(passwords.hash_password, password)
        if password is not None
        else passwords.unusable_hash()
    )
    staff = StaffUser(
        commune_id=commune_id,
        email=address,
        display_name=name,
        role=Role(role).value,
        active=True,
        password_hash=password_hash,
        created_at=now,
        updated_at=now,
        password_changed_at=now,
    )
    staff.sites = await _sites(session, site_ids or [])
    session.add(staff)
    await session.flush()
    await record(
        session,
        actor,
        "account.created",
        f"account:{staff.id}",
        f"Compte créé pour {name} ({address}), rôle {role_label(Role(role))}.",
        {"email": address, "role": Role(role).value, "sites": [s.id for s in staff.sites]},
        now=now,
    )
    return staff


async def _sites(session: AsyncSession, site_ids: list[int]) -> list[Site]:
    if not site_ids:
        return []
    rows = await session.execute(select(Site).where(Site.id.in_(site_ids)).order_by(Site.id))
    return list(rows.scalars())


@dataclass(frozen=True)
class LoginResult:
    token: str | None
    error: str | None = None
    staff: StaffUser | None = None
    # How long this account and address must still wait (no password was checked).
    wait: timedelta | None = None


def _who(staff: StaffUser | None) -> str:
    return f"{staff.display_name} ({staff.email})" if staff is not None else ""


async def _journal_delays(
    session: AsyncSession,
    started: list[throttle.DelayStarted],
    staff: StaffUser | None,
    group: str,
    now: datetime,
) -> None:
    """« Connexion retardée » in the journal when a pair or an address starts waiting. An
    e-mail without an account is not written in it (it may be somebody's address mistyped)."""
    for delay in started:
        details = {
            "adresse": group,
            "echecs": delay.failures,
            "attente_secondes": throttle.retry_after(delay.wait),
        }
        if delay.kind == throttle.ADDRESS:
            target = "connexion"
            summary = (
                f"Connexions retardées depuis l'adresse {group}, quel que soit le compte, "
                f"après {delay.failures} échecs."
            )
        elif staff is not None:
            target = f"account:{staff.id}"
            summary = (
                f"Connexion retardée pour {_who(staff)} depuis l'adresse {group} "
                f"après {delay.failures} échecs."
            )
        else:
            target = "connexion"
            summary = (
                "Connexion retardée pour une adresse e-mail sans compte depuis l'adresse "
                f"{group} après {delay.failures} échecs."
            )
        await record(session, None, "login.delayed", target, summary, details, now=now)


async def log_in(db: Database, email: str, password: str, group: str, now: datetime) -> LoginResult:
    """Checks the password (argon2 runs even for unknown addresses) unless this account from
    this client's address group (app.web.client_address.address_group), or this address
    group, must wait; on success opens a session and returns its cookie token."""
    email = normalise_email(email)
    async with db.read() as session:
        wait = await throttle.wait_before_retry(session, email, group, now)
        if wait is not None:
            return LoginResult(None, throttle.wait_message(wait), wait=wait)
        staff = await by_email(session, email) if email else None
    stored_hash = staff.password_hash if staff is not None else None
    matches = await asyncio.to_thread(passwords.verify, stored_hash, password)
    async with db.write() as session:
        if not matches or staff is None or not staff.active:
            started = await throttle.record_failure(session, email, group, now)
            await _journal_delays(session, started, staff, group, now)
            return LoginResult(None, BAD_CREDENTIALS)
        await throttle.forget_failures(session, email, group, now)
        if passwords.needs_rehash(staff.password_hash):
            stored = await session.get(StaffUser, staff.id)
            if stored is not None:
                stored.password_hash = await asyncio.to_thread(passwords.hash_password, password)
        token = await sessions.open_session(session, staff, now)
        await record(
            session,
            staff,
            "account.login",
            f"account:{staff.id}",
            f"Connexion de {_who(staff)} depuis l'adresse {group}.",
            {"adresse": group},
            now=now,
        )
    return LoginResult(token, None, staff)


async def log_out(db: Database, token: str | None, group: str, now: datetime) -> None:
    """Ends the session of this cookie token, if it is one, and says so in the journal."""
    async with db.write() as session:
        staff = await sessions.close_session(session, token)
        if staff is not None:
            await record(
                session,
                staff,
                "account.logout",
                f"account:{staff.id}",
                f"Déconnexion de {_who(staff)} depuis l'adresse {group}.",
                {"adresse": group},
                now=now,
            )


async def set_password(
    session: AsyncSession,
    staff: StaffUser,
    new_password: str,
    now: datetime,
    *,
    actor: StaffUser | None,
    reason: str,
) -> None:
    """Stores a new password (already validated), ends all the account's sessions and
    records it in the audit trail."""
    staff.password_hash = await asyncio.to_thread(passwords.hash_password, new_password)
    staff.password_changed_at = now
    staff.updated_at = now
    await sessions.close_all(session, staff.id)
    await record(
        session,
        actor,
        "account.password",
        f"account:{staff.id}",
        f"Mot de passe de {staff.display_name} ({staff.email}) {reason}.",
        now=now,
    )


async def change_own_password(
    db: Database,
    staff_id: int,
    current: str,
    new: str,
    confirmation: str,
    now: datetime,
    group: str,
) -> tuple[dict[str, str], str | None]:
    """(the errors by field, None) or, once changed, ({}, the token of a new session for this
    browser): every session of the account ends, this one too, so a stolen copy of its cookie
    dies with the old password. Wrong current passwords count as failed logins: a borrowed
    session cannot be used to guess the password."""
    async with db.read() as session:
        staff = await by_id(session, staff_id)
        wait = (
            await throttle.wait_before_retry(session, staff.email, group, now)
            if staff is not None
            else None
        )
    if staff is None:
        return {"actuel": BAD_CREDENTIALS}, None
    if wait is not None:
        return {"actuel": throttle.wait_message(wait)}, None
    if not await asyncio.to_thread(passwords.verify, staff.password_hash, current):
        async with db.write() as session:
            started = await throttle.record_failure(session, staff.email, group, now)
            await _journal_delays(session, started, staff, group, now)
        return {"actuel": "Le mot de passe actuel n'est pas le bon."}, None
    if problem := passwords.password_problem(new, confirmation):
        field = (
            "confirmation"
            if new != confirmation and len(new) >= passwords.MIN_LENGTH
            else "nouveau"
        )
        return {field: problem}, None
    if new == current:
        return {"nouveau": "Choisissez un mot de passe différent de l'actuel."}, None
    async with db.write() as session:
        stored = await by_id(session, staff_id)
        if stored is None:
            return {"actuel": BAD_CREDENTIALS}, None
        await set_password(
            session,
            stored,
            new,
            now,
            actor=stored,
            reason="changé par son titulaire",
        )
        token = await sessions.open_session(session, stored, now)
    return {}, token


async def count_active_admins(session: AsyncSession, commune_id: int) -> int:
    return (
        await session.execute(
            select(func.count())
            .select_from(StaffUser)
            .where(
                StaffUser.commune_id == commune_id,
                StaffUser.role == Role.ADMIN.value,
                StaffUser.active.is_(True),
            )
        )
    ).scalar_one()


async def list_accounts(session: AsyncSession, commune_id: int) -> list[StaffUser]:
    rows = await session.execute(
        select(StaffUser)
        .where(StaffUser.commune_id == commune_id)
        .options(selectinload(StaffUser.sites))
        .order_by(StaffUser.active.desc(), StaffUser.display_name, StaffUser.id)
    )
    return list(rows.scalars())


async def _locked(session: AsyncSession, staff_id: int) -> StaffUser:
    staff = (
        await session.execute(
            select(StaffUser)
            .where(StaffUser.id == staff_id)
            .options(selectinload(StaffUser.sites))
            .with_for_update()
        )
    ).scalar()
    if staff is None:
        raise AccountError("Ce compte n'existe pas.")
    return staff


async def _would_leave_no_admin(session: AsyncSession, staff: StaffUser) -> bool:
    """True when `staff` is the commune's only active administrator. The administrators
    are locked first, so two administrators demoting each other cannot both succeed."""
    admins = (
        await session.execute(
            select(StaffUser.id)
            .where(
                StaffUser.commune_id == staff.commune_id,
                StaffUser.role == Role.ADMIN.value,
                StaffUser.active.is_(True),
            )
            .with_for_update()
        )
    ).scalars()
    others = [admin_id for admin_id in admins if admin_id != staff.id]
    return staff.role == Role.ADMIN.value and staff.active and not others


async def update_access(
    session: AsyncSession,
    actor: StaffUser,
    staff_id: int,
    *,
    role: str,
    site_ids: list[int],
    now: datetime,
) -> StaffUser:
    """Changes an account's role and sites (never leaving the commune without an active
    administrator)."""
    try:
        new_role = Role(role)
    except ValueError:
        raise AccountError("Choisissez un rôle dans la liste.") from None
    staff = await _locked(session, staff_id)
    if new_role != Role.ADMIN and await _would_leave_no_admin(session, staff):
        raise AccountError(
            "C'est le seul administrateur actif : nommez d'abord un autre administrateur."
        )
    before = {"role": staff.role, "sites": [site.id for site in staff.sites]}
    sites = await _sites(session, site_ids) if new_role == Role.AGENT else []
    staff.role = new_role.value
    staff.sites = sites
    staff.updated_at = now
    after = {"role": staff.role, "sites": [site.id for site in sites]}
    if before != after:
        names = ", ".join(site.name for site in sites) or "aucun site"
        summary = f"Accès de {staff.display_name} : rôle {role_label(staff.role)}"
        summary += f", sites : {names}." if new_role == Role.AGENT else "."
        await record(
            session, actor, "account.access", f"account:{staff.id}", summary,
            {"avant": before, "apres": after}, now=now,
        )  # fmt: skip
    return staff


async def set_active(
    session: AsyncSession, actor: StaffUser, staff_id: int, *, active: bool, now: datetime
) -> StaffUser:
    """Deactivates (logged out at once, cannot log in) or reactivates an account. Nobody
    deactivates themselves, and the last active administrator stays."""
    staff = await _locked(session, staff_id)
    if staff.active == active:
        return staff
    if not active:
        if staff.id == actor.id:
            raise AccountError("Vous ne pouvez pas désactiver votre propre compte.")
        if await _would_leave_no_admin(session, staff):
            raise AccountError(
                "C'est le seul administrateur actif : il ne peut pas être désactivé."
            )
        await sessions.close_all(session, staff.id)
    staff.active = active
    staff.updated_at = now
    await record(
        session,
        actor,
        "account.reactivated" if active else "account.deactivated",
        f"account:{staff.id}",
        f"Compte de {staff.display_name} ({staff.email}) "
        + ("réactivé." if active else "désactivé."),
        now=now,
    )
    return staff
