"""`creneau purge-personal-data`: one pass of the retention job (the worker runs it daily)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from app.settings import Settings


def cmd_purge_personal_data(settings: Settings, _args: argparse.Namespace) -> int:
    from app.calendar_sync.commands import _run
    from app.gdpr.retention import purge_personal_data

    async def work(db) -> int:
        count = await purge_personal_data(db, datetime.now(UTC))
        print(f"Rendez-vous dont les données personnelles ont été effacées : {count}.")
        return 0

    return _run(settings, work)


def register(commands) -> None:
    commands.add_parser(
        "purge-personal-data",
        help="efface les données personnelles des rendez-vous passés depuis plus que la "
        "durée de conservation",
    ).set_defaults(handler=cmd_purge_personal_data)
