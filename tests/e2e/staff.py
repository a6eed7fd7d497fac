"""Staff accounts in a test server's database, made at the suite's instant (the server's
frozen clock), each with an address of its own."""

from __future__ import annotations

import asyncio
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import select

from app.db.models import Commune, Site
from app.db.session import Database
from app.staff.accounts import create_account
from app.staff.roles import Role
from tests.instant import FIXED_NOW
from tests.integration.staff_helpers import PASSWORD, StaffMember, server_settings


def create_staff(
    data_dir: Path, role: Role = Role.ADMIN, *, name: str | None = None, first_site: bool = False
) -> StaffMember:
    """An active account of the server's commune (made by the server at its start).
    `first_site=True` gives an agent the commune's first site."""
    settings = server_settings(data_dir)
    number = secrets.token_hex(3)
    email = f"{role.value}-{number}@mairie.example.fr"

    async def run() -> StaffMember:
        db = Database(settings.database_url)
        try:
            async with db.write() as session:
                query = select(Commune.id).order_by(Commune.id)
                commune_id = (await session.execute(query)).scalar()
                site_ids = []
                if first_site:
                    site_ids = [(await session.execute(select(Site.id).order_by(Site.id))).scalar()]
                staff = await create_account(
                    session,
                    commune_id=commune_id,
                    email=email,
                    display_name=name or f"{role.value.capitalize()} {number}",
                    role=role,
                    password=PASSWORD,
                    site_ids=site_ids,
                    now=FIXED_NOW,
                )
                return StaffMember(staff.id, staff.email, PASSWORD, role.value, site_ids)
        finally:
            await db.dispose()

    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(run())).result()
