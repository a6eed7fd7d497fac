"""The `creneau` command: one sub-command per job, each module registering its own."""

from __future__ import annotations

import argparse
import logging
import sys

from app.cli import accounts, calendars, core, gdpr
from app.settings import ConfigurationError, Settings


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="creneau", description="Créneau, prise de rendez-vous.")
    commands = root.add_subparsers(dest="command", required=True)
    for module in (core, calendars, gdpr, accounts):
        module.register(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigurationError as error:
        print(f"Configuration : {error}", file=sys.stderr)
        return 2
    handler = args.handler
    return int(handler(settings, args))
