"""The audit trail of staff actions on bookings and settings, and of logins to the back
office: who, when, what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AuditEvent, StaffUser

SYSTEM_LABEL = "Système"

# What the journal shows for each action code (codes without a label are shown as is).
ACTION_LABELS = {
    "account.created": "Compte créé",
    "account.password": "Mot de passe changé",
    "account.access": "Rôle ou sites changés",
    "account.deactivated": "Compte désactivé",
    "account.reactivated": "Compte réactivé",
    "account.login": "Connexion",
    "account.logout": "Déconnexion",
    "login.delayed": "Connexion retardée",
    "site.created": "Site créé",
    "site.updated": "Site modifié",
    "site.closed": "Fermeture ajoutée",
    "site.reopened": "Fermeture supprimée",
    "desk.created": "Guichet créé",
    "desk.updated": "Guichet modifié",
    "desk.deleted": "Guichet supprimé",
    "desk.calendar": "Agenda du guichet",
    "booking.created": "Rendez-vous pris par le personnel",
    "booking.moved": "Rendez-vous déplacé",
    "booking.cancelled": "Rendez-vous annulé",
    "booking.attendance": "Présence notée",
    "commune.updated": "Commune modifiée",
    "type.created": "Type de rendez-vous créé",
    "type.updated": "Type de rendez-vous modifié",
    "type.activated": "Type de rendez-vous réactivé",
    "type.deactivated": "Type de rendez-vous désactivé",
    "opening_rule.created": "Horaire ajouté",
    "opening_rule.updated": "Horaire modifié",
    "opening_rule.deleted": "Horaire supprimé",
    "export_csv": "Export CSV des rendez-vous",
    "rgpd_recherche": "RGPD : recherche d'une personne",
    "rgpd_export": "RGPD : copie des données d'une personne",
    "rgpd_effacement": "RGPD : effacement des données d'une personne",
    "rgpd_conservation": "RGPD : durée de conservation changée",
    "rgpd_conservation_auto": "RGPD : effacement automatique (durée de conservation)",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


# What the journal shows for the kind of object in a target "kind:id".
TARGET_LABELS = {
    "account": "Compte",
    "appointment_type": "Type de rendez-vous",
    "booking": "Rendez-vous",
    "bookings": "Rendez-vous passés",
    "commune": "Commune",
    "connexion": "Connexion au back-office",
    "desk": "Guichet",
    "opening_rule": "Horaire",
    "site": "Site",
    "sites": "Tous les sites",
    "personne": "Une personne",
}


def target_label(target: str) -> str:
    """« Compte n° 2 » for "account:2" (unknown kinds are shown as stored)."""
    kind, _, number = target.partition(":")
    if kind not in TARGET_LABELS:
        return target
    return f"{TARGET_LABELS[kind]} n° {number}" if number else TARGET_LABELS[kind]


PAGE_SIZE = 50


def actor_label(actor: StaffUser | None) -> str:
    if actor is None:
        return SYSTEM_LABEL
    return f"{actor.display_name} <{actor.email}>"


async def record(
    session: AsyncSession,
    actor: StaffUser | None,
    action: str,
    target: str,
    summary: str,
    details: dict[str, Any] | None = None,
    *,
    now: datetime,
) -> None:
    """Adds an event in the caller's transaction (it exists exactly when the change does).
    `actor` is the staff member, or None for the system."""
    session.add(
        AuditEvent(
            at=now,
            staff_id=actor.id if actor is not None else None,
            actor_label=actor_label(actor),
            action=action,
            target=target,
            summary=summary,
            details=details or {},
        )
    )


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    page: int
    pages: int
    total: int


async def search(
    session: AsyncSession,
    *,
    action: str = "",
    staff_id: int | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> AuditPage:
    """Events newest first, optionally of one action or one staff member."""
    conditions = []
    if action:
        conditions.append(AuditEvent.action == action)
    if staff_id is not None:
        conditions.append(AuditEvent.staff_id == staff_id)
    total = (
        await session.execute(select(func.count()).select_from(AuditEvent).where(*conditions))
    ).scalar_one()
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    events = (
        (
            await session.execute(
                select(AuditEvent)
                .where(*conditions)
                .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                .offset((page - 1) * page_size)
                .limit(page_size)
            )
        )
        .scalars()
        .all()
    )
    return AuditPage(list(events), page, pages, total)


async def known_actions(session: AsyncSession) -> list[str]:
    rows = await session.execute(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    return list(rows.scalars())
