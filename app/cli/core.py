"""`creneau serve | migrate | demo | worker | send-reminders | outbox | healthcheck`."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import urllib.request
from typing import Any

from app.cli.common import clock, migrate, run_with_database
from app.db.session import Database
from app.settings import Settings

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    migrate(settings)
    print("Base de données à jour.")
    return 0


def cmd_demo(settings: Settings, _args: argparse.Namespace) -> int:
    from app.demo import load_demo, local_today

    async def work(db: Database) -> bool:
        return await load_demo(db, local_today(clock(settings)()))

    created = run_with_database(settings, work)
    print("Commune de démonstration créée." if created else "Une commune existe déjà.")
    return 0


def importable(module: str) -> bool:
    """Imported, not only found: a wheel built for another machine fails only here."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def uvicorn_options(*, access_log: bool) -> dict[str, Any]:
    """How `creneau serve` runs uvicorn: its C event loop (uvloop) and HTTP parser
    (httptools) where they are installed, else uvicorn's own choice (asyncio, h11), so a
    machine without them still starts. docs/DECISIONS.md §67."""
    return {
        "loop": "uvloop" if importable("uvloop") else "auto",
        "http": "httptools" if importable("httptools") else "auto",
        "access_log": access_log,
        "log_level": "info",
        # X-Forwarded-For is read by the application, from CRENEAU_TRUSTED_PROXIES only.
        "proxy_headers": False,
    }


def describe(options: dict[str, Any]) -> str:
    """What the operator is told at start: uvicorn's loop, HTTP parser and access log."""
    loop = "uvloop" if options["loop"] == "uvloop" else "boucle asyncio (uvloop absent)"
    http = "httptools" if options["http"] == "httptools" else "h11 (httptools absent)"
    log = "activé" if options["access_log"] else "désactivé"
    return f"Serveur HTTP : {loop}, {http} ; journal des requêtes {log} (CRENEAU_ACCESS_LOG)."


def warn_about_the_mailbox(settings: Settings) -> None:
    """Outside debugging, a missing SMTP server is said loudly on stderr (the service's
    log under systemd or Docker)."""
    from app.notifications.delivery import mailbox_warning

    if warning := mailbox_warning(settings):
        print(warning, file=sys.stderr, flush=True)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from app.asgi import create_app

    migrate(settings)
    host, port = args.host or settings.host, args.port or settings.port
    if host not in LOOPBACK and not settings.public_url:
        print(
            "Attention : CRENEAU_PUBLIC_URL n'est pas défini (l'adresse publique du service, "
            "par exemple https://rendez-vous.ma-commune.fr).",
            file=sys.stderr,
        )
    if settings.frozen_now is not None:
        print(
            f"Attention : horloge arrêtée au {settings.frozen_now.isoformat()} "
            "(CRENEAU_FROZEN_NOW, pour les tests seulement).",
            file=sys.stderr,
        )
    warn_about_the_mailbox(settings)
    options = uvicorn_options(access_log=settings.access_log)
    print(describe(options), flush=True)
    print(f"Créneau est prêt : ouvrez http://{host}:{port}/ dans votre navigateur.", flush=True)
    uvicorn.run(create_app(settings), host=host, port=port, **options)
    return 0


def cmd_worker(settings: Settings, _args: argparse.Namespace) -> int:
    """The outbox worker as its own process, until SIGTERM or Ctrl-C."""
    import signal

    from app.wiring import build_worker

    async def work(db: Database) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await build_worker(db, settings, clock(settings)).run(stop)

    warn_about_the_mailbox(settings)
    print("File d'envoi : travailleur démarré (Ctrl-C pour arrêter).", flush=True)
    run_with_database(settings, work)
    return 0


def cmd_send_reminders(settings: Settings, _args: argparse.Namespace) -> int:
    """Enqueues the reminders due now (a worker delivers them)."""
    from app.notifications.reminders import send_reminders

    async def work(db: Database) -> int:
        return await send_reminders(db, settings, clock(settings)())

    count = run_with_database(settings, work)
    print(f"Rappels mis en file d'envoi : {count}.")
    return 0


def cmd_outbox(settings: Settings, args: argparse.Namespace) -> int:
    """Lists the messages that failed for good, or puts one back in the queue."""
    from app.outbox import store

    async def work(db: Database) -> int:
        if args.retry is not None:
            if await store.retry_failed(db, args.retry, clock(settings)()):
                print(f"Message {args.retry} remis en file d'envoi.")
                return 0
            print(f"Aucun message en échec n'a le numéro {args.retry}.", file=sys.stderr)
            return 1
        failed = await store.failed_messages(db)
        if not failed:
            print("Aucun message en échec.")
        for message in failed:
            print(
                f"{message.id}\t{message.created_at:%Y-%m-%d %H:%M}\t{message.channel}\t"
                f"{message.kind}\trendez-vous {message.booking_id}\t"
                f"{message.attempts} tentative(s)\t{message.last_error}"
            )
        return 0

    return run_with_database(settings, work)


def cmd_healthcheck(settings: Settings, _args: argparse.Namespace) -> int:
    """Exit 0 when the local server answers /healthz (the container's HEALTHCHECK)."""
    url = f"http://127.0.0.1:{settings.port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:  # noqa: S310 - fixed local URL
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = commands.add_parser("serve", help="migre la base puis sert l'application")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(handler=cmd_serve)
    commands.add_parser("migrate", help="applique les migrations").set_defaults(handler=cmd_migrate)
    commands.add_parser("demo", help="crée la commune de démonstration").set_defaults(
        handler=cmd_demo
    )
    commands.add_parser("worker", help="délivre la file d'envoi (e-mails, SMS)").set_defaults(
        handler=cmd_worker
    )
    commands.add_parser(
        "send-reminders", help="met en file d'envoi les rappels dus maintenant"
    ).set_defaults(handler=cmd_send_reminders)
    outbox = commands.add_parser("outbox", help="liste les messages en échec définitif")
    outbox.add_argument("--retry", type=int, metavar="NUMÉRO", help="remet ce message en file")
    outbox.set_defaults(handler=cmd_outbox)
    commands.add_parser("healthcheck", help="vérifie que le serveur local répond").set_defaults(
        handler=cmd_healthcheck
    )
