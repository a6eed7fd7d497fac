"""`creneau create-admin`: the first administrator of the commune (or another one)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from app.cli.common import clock, migrate
from app.settings import Settings


def _read_password() -> str | None:
    """Asked twice on a terminal; one line of standard input otherwise (scripts)."""
    from app.staff.passwords import password_problem

    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
        problem = password_problem(password)
    else:
        password = getpass.getpass("Mot de passe (12 caractères au moins) : ")
        confirmation = getpass.getpass("Le même mot de passe, une seconde fois : ")
        problem = password_problem(password, confirmation)
    if problem:
        print(problem, file=sys.stderr)
        return None
    return password


def cmd_create_admin(settings: Settings, args: argparse.Namespace) -> int:
    from app.booking.catalogue import current_commune
    from app.db.models import Commune
    from app.db.session import Database
    from app.demo import load_demo, local_today
    from app.staff.accounts import AccountError, create_account
    from app.staff.roles import Role

    migrate(settings)
    password = _read_password()
    if password is None:
        return 1

    async def run() -> str:
        db = Database(settings.database_url)
        try:
            if settings.load_demo:
                # As `creneau serve` would on its first start (CRENEAU_DEMO, on by default).
                await load_demo(db, local_today(clock(settings)()))
            async with db.write() as session:
                commune = await current_commune(session)
                if commune is None:
                    # A production install starts empty: the administrator names it in
                    # the back office.
                    commune = Commune(name="Ma commune")
                    session.add(commune)
                    await session.flush()
                staff = await create_account(
                    session,
                    commune_id=commune.id,
                    email=args.email,
                    display_name=args.name,
                    role=Role.ADMIN,
                    password=password,
                    now=clock(settings)(),
                )
                return staff.email
        finally:
            await db.dispose()

    try:
        email = asyncio.run(run())
    except AccountError as error:
        print(str(error), file=sys.stderr)
        return 1
    print(f"Administrateur {email} créé. Connectez-vous sur /admin/connexion.")
    return 0


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "create-admin",
        help="crée un compte administrateur (mot de passe demandé, ou lu sur l'entrée)",
    )
    parser.add_argument("--email", required=True, help="adresse e-mail de connexion")
    parser.add_argument("--name", required=True, help="nom affiché")
    parser.set_defaults(handler=cmd_create_admin)
