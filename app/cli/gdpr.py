"""`creneau purge-personal-data`: one pass of the retention job (the worker runs it daily),
the development mailbox's files included."""

from __future__ import annotations

import argparse

from app.cli.common import clock, run_with_database
from app.db.session import Database
from app.settings import Settings


def cmd_purge_personal_data(settings: Settings, _args: argparse.Namespace) -> int:
    from app.gdpr.retention import retention_pass
    from app.notifications.mailbox import mailbox_dir

    async def work(db: Database) -> int:
        done = await retention_pass(db, clock(settings)(), mailbox_dir(settings.data_dir))
        print(f"Rendez-vous dont les données personnelles ont été effacées : {done.bookings}.")
        if done.mailbox_files:
            print(
                "Messages effacés de la boîte de développement (sans serveur SMTP) : "
                f"{done.mailbox_files}."
            )
        return 0

    return run_with_database(settings, work)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    commands.add_parser(
        "purge-personal-data",
        help="efface les données personnelles des rendez-vous passés depuis plus que la "
        "durée de conservation",
    ).set_defaults(handler=cmd_purge_personal_data)
