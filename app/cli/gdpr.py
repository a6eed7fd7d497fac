"""`creneau purge-personal-data`: one pass of the retention job (the worker runs it daily)."""

from __future__ import annotations

import argparse

from app.cli.common import clock, run_with_database
from app.db.session import Database
from app.settings import Settings


def cmd_purge_personal_data(settings: Settings, _args: argparse.Namespace) -> int:
    from app.gdpr.retention import purge_personal_data

    async def work(db: Database) -> int:
        count = await purge_personal_data(db, clock(settings)())
        print(f"Rendez-vous dont les données personnelles ont été effacées : {count}.")
        return 0

    return run_with_database(settings, work)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    commands.add_parser(
        "purge-personal-data",
        help="efface les données personnelles des rendez-vous passés depuis plus que la "
        "durée de conservation",
    ).set_defaults(handler=cmd_purge_personal_data)
