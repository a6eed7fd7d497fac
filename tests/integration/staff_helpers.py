"""Staff accounts for the tests: create one (role, sites) in the test database, and log an
HTTP client or a Playwright page in as that member through the real login form."""

from __future__ import annotations

import asyncio
import itertools
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.db.models import Commune, Site
from app.db.session import Database
from app.demo import load_demo
from app.settings import Settings
from app.staff.accounts import create_account
from app.staff.roles import Role
from tests.days import TODAY
from tests.instant import FIXED_NOW

PASSWORD = "un mot de passe de test assez long"
LOGIN = "/admin/connexion"
CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')
_numbers = itertools.count(1)


@dataclass(frozen=True)
class StaffMember:
    id: int
    email: str
    password: str
    role: str
    site_ids: list[int] = field(default_factory=list)


def create_staff(
    settings: Settings,
    role: Role | str = Role.ADMIN,
    *,
    sites: list[int] | None = None,
    email: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    first_site: bool = False,
    now: datetime | None = None,
) -> StaffMember:
    """An active account in the test database (the demo commune is created if missing),
    created at the suite's instant unless `now` says when. `first_site=True` gives an agent
    the commune's first site."""
    role = Role(role)
    number = next(_numbers)
    email = email or f"{role.value}{number}@mairie.example.fr"

    async def run() -> StaffMember:
        db = Database(settings.database_url)
        try:
            await load_demo(db, TODAY)
            async with db.write() as session:
                commune = (await session.execute(select(Commune).order_by(Commune.id))).scalar()
                site_ids = list(sites or [])
                if first_site and not site_ids:
                    site_ids = [(await session.execute(select(Site.id).order_by(Site.id))).scalar()]
                staff = await create_account(
                    session,
                    commune_id=commune.id,
                    email=email,
                    display_name=name or f"{role.value.capitalize()} {number}",
                    role=role,
                    password=password,
                    site_ids=site_ids,
                    now=now or FIXED_NOW,
                )
                return StaffMember(staff.id, staff.email, password, role.value, site_ids)
        finally:
            await db.dispose()

    return _run(run())


def _run(coroutine: Any) -> Any:
    """asyncio.run, also beside Playwright's sync API (whose loop runs in this thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def server_settings(data_dir: Any) -> Settings:
    """Settings reaching the database of a `creneau serve` started by tests/server.py."""
    from pathlib import Path

    data_dir = Path(data_dir)
    return Settings(
        data_dir=data_dir,
        database_url=f"sqlite+aiosqlite:///{data_dir / 'creneau.db'}",
        secret_key=(data_dir / "secret_key").read_text().strip(),
        load_demo=True,
    )


def csrf_token(client: Any, path: str = LOGIN) -> str:
    page = client.get(path)
    match = CSRF_RE.search(page.text)
    assert match, f"no CSRF token on {path} ({page.status_code})"
    return match.group(1)


def log_in(client: Any, member: StaffMember, *, password: str | None = None) -> Any:
    """Logs an httpx / Litestar TestClient in through the login form; returns the answer
    (a 303 to the dashboard when it worked)."""
    token = csrf_token(client)
    response = client.post(
        LOGIN,
        data={
            "email": member.email,
            "mot_de_passe": password if password is not None else member.password,
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    return response


def logged_in(client: Any, member: StaffMember) -> Any:
    response = log_in(client, member)
    assert response.status_code == 303, response.text[:500]
    return client


def session_token(client: Any) -> str:
    return client.cookies.get("creneau_staff")


def use_session(client: Any, token: str) -> None:
    """Puts a staff session cookie (saved earlier) back in this client: several members on
    one client (one event loop, as PostgreSQL's pool requires)."""
    client.cookies.delete("creneau_staff")
    client.cookies.set("creneau_staff", token, path="/admin")


def log_in_page(page: Any, member: StaffMember, *, next_path: str | None = None) -> None:
    """Fills the login form of a Playwright page (base URL set on its context)."""
    page.goto(LOGIN + (f"?suite={next_path}" if next_path else ""))
    page.locator("#champ-email").fill(member.email)
    page.locator("#champ-mot_de_passe").fill(member.password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/admin(?!/connexion)"))
