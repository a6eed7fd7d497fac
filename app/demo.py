"""The demo commune: what a newcomer sees on first start (and what the tests book)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import nh3
from sqlalchemy import func, select

from app.db.models import (
    AppointmentType,
    Closure,
    Commune,
    Desk,
    OpeningRule,
    Site,
)
from app.db.session import Database

WEEKLY_HOURS = [
    *[(weekday, time(8, 30), time(12, 0)) for weekday in range(5)],
    *[(weekday, time(13, 30), time(17, 0)) for weekday in range(5)],
    (5, time(9, 0), time(12, 0)),
]

GDPR = (
    "<p>Les informations recueillies (nom, prénom, adresse électronique, téléphone) sont "
    "utilisées par la mairie de Val-de-Lys uniquement pour gérer votre rendez-vous et vous "
    "le rappeler. Elles sont conservées deux ans après la date du rendez-vous, puis "
    "effacées.</p><p>Vous pouvez y accéder, les faire rectifier ou effacer en écrivant à "
    '<a href="mailto:dpo@val-de-lys.example.fr">dpo@val-de-lys.example.fr</a>.</p>'
)


DEMO_ZONE = ZoneInfo("Europe/Paris")


def local_today(now: datetime) -> date:
    """The demo commune's date at `now` (its sites are in Paris; `now` is in UTC)."""
    return now.astimezone(DEMO_ZONE).date()


def august_closure_year(today: date) -> int:
    return today.year if today < date(today.year, 8, 17) else today.year + 1


async def load_demo(db: Database, today: date) -> bool:
    """Creates the demo commune unless a commune already exists. Returns True if created."""
    async with db.write() as session:
        if (await session.execute(select(func.count(Commune.id)))).scalar():
            return False
        commune = Commune(
            name="Mairie de Val-de-Lys",
            contact_email="accueil@val-de-lys.example.fr",
            contact_phone="+33123456789",
        )
        town_hall = Site(
            commune=commune,
            name="Hôtel de ville",
            address="1 place de la Mairie, 59000 Val-de-Lys",
            position=0,
        )
        social = Site(
            commune=commune,
            name="Espace solidarité",
            address="12 rue des Écoles, 59000 Val-de-Lys",
            position=1,
        )
        session.add_all([commune, town_hall, social])

        titles_desk = Desk(site=town_hall, name="Guichet titres d'identité")
        civil_desk = Desk(site=town_hall, name="Bureau de l'état civil")
        urbanism_desks = [Desk(site=town_hall, name=f"Urbanisme — bureau {n}") for n in (1, 2)]
        social_desk = Desk(site=social, name="Accueil CCAS")

        types = [
            AppointmentType(
                site=town_hall,
                slug="titres-identite",
                title="Carte d'identité / passeport",
                service="Titres d'identité",
                description_html=nh3.clean(
                    "<p>Dépôt d'une demande de <strong>carte nationale d'identité</strong> ou "
                    "de <strong>passeport</strong>. Chaque personne concernée, enfant "
                    "compris, doit être présente.</p><p>Faites d'abord votre pré-demande en "
                    "ligne et notez son numéro.</p>"
                ),
                gdpr_html=nh3.clean(GDPR),
                what_to_bring=(
                    "Le numéro de pré-demande, une photo d'identité de moins de six mois, "
                    "un justificatif de domicile et l'ancien titre pour chaque personne."
                ),
                slot_minutes=15,
                duration_per_person=True,
                max_people=4,
                capacity=1,
                desks=[titles_desk],
                extra_fields=[
                    {
                        "name": "predemande",
                        "label": "Numéro de pré-demande",
                        "required": False,
                        "kind": "predemande",
                        "hint": (
                            "Dix caractères, lettres et chiffres, par exemple 2A3B4C5D6E. "
                            "Si plusieurs personnes viennent, un numéro par personne, "
                            "séparés par des virgules."
                        ),
                    }
                ],
                position=0,
            ),
            AppointmentType(
                site=town_hall,
                slug="mariage-pacs",
                title="Mariage / PACS — dossier",
                service="État civil",
                description_html=nh3.clean(
                    "<p>Dépôt du dossier de mariage ou de PACS. Les deux futurs époux ou "
                    "partenaires viennent ensemble.</p>"
                ),
                gdpr_html=nh3.clean(GDPR),
                what_to_bring="Le dossier complet et une pièce d'identité de chacun.",
                slot_minutes=45,
                max_people=1,
                capacity=1,
                desks=[civil_desk],
                position=1,
            ),
            AppointmentType(
                site=town_hall,
                slug="urbanisme-permis",
                title="Urbanisme — permis de construire",
                service="Urbanisme",
                description_html=nh3.clean(
                    "<p>Conseil avant le dépôt d'un permis de construire ou d'une "
                    "déclaration préalable de travaux.</p>"
                ),
                gdpr_html=nh3.clean(GDPR),
                what_to_bring="Le plan cadastral de la parcelle et vos esquisses du projet.",
                slot_minutes=30,
                max_people=1,
                capacity=1,
                desks=urbanism_desks,
                position=2,
            ),
            AppointmentType(
                site=social,
                slug="ccas-aide-sociale",
                title="CCAS — aide sociale",
                service="Centre communal d'action sociale",
                description_html=nh3.clean(
                    "<p>Entretien confidentiel avec un travailleur social du CCAS.</p>"
                ),
                gdpr_html=nh3.clean(GDPR),
                what_to_bring="Vos derniers avis d'imposition et justificatifs de ressources.",
                slot_minutes=30,
                max_people=1,
                capacity=1,
                desks=[social_desk],
                position=3,
            ),
        ]
        session.add_all([titles_desk, civil_desk, *urbanism_desks, social_desk, *types])
        await session.flush()
        for site in (town_hall, social):
            session.add_all(
                OpeningRule(site_id=site.id, weekday=weekday, start=start, end=end)
                for weekday, start, end in WEEKLY_HOURS
            )
            year = august_closure_year(today)
            session.add(
                Closure(
                    site_id=site.id,
                    first_day=date(year, 8, 10),
                    last_day=date(year, 8, 16),
                    label="Fermeture estivale",
                )
            )
        return True
