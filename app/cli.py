"""The `creneau` command: serve, migrate, demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import date

from app.settings import ConfigurationError, Settings

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _migrate(settings: Settings) -> None:
    from app.db.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    _migrate(settings)
    print("Base de données à jour.")
    return 0


def cmd_demo(settings: Settings, _args: argparse.Namespace) -> int:
    from app.db.session import Database
    from app.demo import load_demo

    async def run() -> bool:
        db = Database(settings.database_url)
        try:
            return await load_demo(db, date.today())
        finally:
            await db.dispose()

    _migrate(settings)
    created = asyncio.run(run())
    print("Commune de démonstration créée." if created else "Une commune existe déjà.")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from app.asgi import create_app

    _migrate(settings)
    host, port = args.host or settings.host, args.port or settings.port
    if host not in LOOPBACK and not settings.public_url:
        print(
            "Attention : CRENEAU_PUBLIC_URL n'est pas défini (l'adresse publique du service, "
            "par exemple https://rendez-vous.ma-commune.fr).",
            file=sys.stderr,
        )
    print(f"Créneau est prêt : ouvrez http://{host}:{port}/ dans votre navigateur.", flush=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=True)
    return 0


def cmd_healthcheck(settings: Settings, _args: argparse.Namespace) -> int:
    """Exit 0 when the local server answers /healthz (the container's HEALTHCHECK)."""
    import urllib.request

    url = f"http://127.0.0.1:{settings.port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:  # noqa: S310 - fixed local URL
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="creneau", description="Créneau, prise de rendez-vous.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migre la base puis sert l'application")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(handler=cmd_serve)
    commands.add_parser("migrate", help="applique les migrations").set_defaults(handler=cmd_migrate)
    commands.add_parser("demo", help="crée la commune de démonstration").set_defaults(
        handler=cmd_demo
    )
    commands.add_parser("healthcheck", help="vérifie que le serveur local répond").set_defaults(
        handler=cmd_healthcheck
    )
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigurationError as error:
        print(f"Configuration : {error}", file=sys.stderr)
        return 2
    return args.handler(settings, args)


if __name__ == "__main__":
    sys.exit(main())
