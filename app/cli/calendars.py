"""`creneau` commands for calendars, until the back office offers the same:
calendar-add, calendar-test, calendar-status, sync-calendars, calendar-feed.

Passwords are read from the terminal (or standard input with --password-stdin), never
from the command line (other users of the machine see command lines), and never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.cli.common import clock, run_with_database
from app.db.session import Database
from app.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Iterable

    from app.calendar_sync.diagnose import Report
    from app.calendar_sync.importer import Conflict
    from app.db.models import Desk


async def _desk(db: Database, desk_id: int) -> Desk | None:
    from app.db.models import Desk

    async with db.read() as session:
        desk = await session.get(Desk, desk_id)
        if desk is None:
            desks = (await session.execute(select(Desk).order_by(Desk.id))).scalars()
            names = "\n".join(f"  {d.id}\t{d.name}" for d in desks) or "  (aucun)"
            print(f"Aucun guichet n° {desk_id}. Guichets :\n{names}", file=sys.stderr)
        return desk


def _print_report(report: Report) -> None:
    for line in report.lines():
        print(line)


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass("Mot de passe de l'agenda : ")


def cmd_calendar_add(settings: Settings, args: argparse.Namespace) -> int:
    from app.calendar_sync.channel import owed_publications
    from app.calendar_sync.client import Account
    from app.calendar_sync.connections import save_connection
    from app.calendar_sync.diagnose import check_connection

    password = _read_password(args)

    async def work(db: Database) -> int:
        desk = await _desk(db, args.desk)
        if desk is None:
            return 2
        account = Account(
            args.url, args.username, password, settings.caldav_timeout_seconds,
            settings.caldav_ca_bundle or None,
        )  # fmt: skip
        report = await asyncio.to_thread(
            check_connection, account, args.publish or "", tuple(args.read or ())
        )
        _print_report(report)
        if not report.ok:
            print("Connexion non enregistrée.", file=sys.stderr)
            return 1
        publish = args.publish or (report.calendars[0].url if report.calendars else "")
        if args.no_publish:
            publish = ""
        read = list(args.read or ([publish] if publish else []))
        async with db.write() as session:
            await save_connection(
                session, settings, desk_id=desk.id, server_url=report.server_url,
                username=args.username, password=password, publish_calendar_url=publish,
                read_calendar_urls=read, all_busy=args.all_busy,
                agent_email=args.agent_email or "", now=clock(settings)(),
            )  # fmt: skip
        async with db.write() as session:
            owed = await owed_publications(session, desk.id, clock(settings)())
        print(f"Connexion enregistrée pour « {desk.name} ».")
        print(f"Publication dans : {publish or '(aucune)'}")
        print("Absences lues dans : " + (", ".join(read) or "(aucun agenda)"))
        if owed:
            print(f"{owed} rendez-vous à venir seront publiés dans l'agenda.")
        return 0

    return run_with_database(settings, work)


def cmd_calendar_test(settings: Settings, args: argparse.Namespace) -> int:
    from app.calendar_sync.connections import account_of, load_connection
    from app.calendar_sync.credentials import CredentialsUnreadable
    from app.calendar_sync.diagnose import check_connection

    async def work(db: Database) -> int:
        async with db.read() as session:
            connection = await load_connection(session, args.desk)
        if connection is None:
            print(f"Le guichet n° {args.desk} n'a pas d'agenda connecté.", file=sys.stderr)
            return 2
        try:
            account = account_of(connection, settings)
        except CredentialsUnreadable:
            print("✘ Le mot de passe enregistré ne peut plus être lu (la clé secrète a changé) : "
                  "enregistrez la connexion à nouveau (creneau calendar-add).")  # fmt: skip
            return 1
        report = await asyncio.to_thread(
            check_connection,
            account,
            connection.publish_calendar_url,
            tuple(source.url for source in connection.sources),
        )
        _print_report(report)
        return 0 if report.ok else 1

    return run_with_database(settings, work)


def _local(moment: datetime, zone: str = "Europe/Paris") -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%d/%m/%Y à %H:%M")


def print_conflicts(conflicts: Iterable[Conflict]) -> None:
    for conflict in conflicts:
        print(
            f"⚠ Rendez-vous {conflict.reference} du {_local(conflict.start)} "
            f"({conflict.desk_name}) : absence « {conflict.absence} » dans l'agenda. "
            "Le rendez-vous est maintenu : prévenez l'usager ou l'agent."
        )


def cmd_sync_calendars(settings: Settings, args: argparse.Namespace) -> int:
    from app.calendar_sync.jobs import calendar_pass
    from app.db.models import Desk

    def progress(message: str) -> None:
        print(f"  … {message}", flush=True)

    async def once(db: Database) -> int:
        print("Lecture des agendas connectés…", flush=True)
        reports = await calendar_pass(db, settings, clock(settings)(), progress)
        async with db.read() as session:
            names = dict((await session.execute(select(Desk.id, Desk.name))).all())
        if not reports:
            print("Aucun agenda connecté.")
        failed = 0
        for report in reports:
            name = names.get(report.desk_id, report.desk_id)
            if report.ok:
                print(
                    f"✔ {name} : à jour ({report.changed} modifié(s), {report.deleted} "
                    f"supprimé(s){', lecture complète' if report.full else ''})."
                )
                for reference, drift in report.restored:
                    print(f"  ↺ Rendez-vous {reference} : {drift}")
                if report.republished:
                    print(f"  {report.republished} rendez-vous remis en file de publication.")
            else:
                failed += 1
                print(f"✘ {name} : {report.message}")
            print_conflicts(report.conflicts)
        return 1 if failed else 0

    async def work(db: Database) -> int:
        if not args.loop:
            return await once(db)
        while True:
            await once(db)
            await asyncio.sleep(settings.calendar_sync_minutes * 60)

    try:
        return run_with_database(settings, work)
    except KeyboardInterrupt:
        return 0


def cmd_calendar_status(settings: Settings, _args: argparse.Namespace) -> int:
    from app.calendar_sync.importer import conflicts
    from app.db.models import Booking, CalendarConnection, Desk, PublishedEvent

    async def work(db: Database) -> int:
        async with db.read() as session:
            rows = (
                await session.execute(
                    select(CalendarConnection, Desk.name)
                    .join(Desk, Desk.id == CalendarConnection.desk_id)
                    .order_by(Desk.id)
                )
            ).all()
            drifts = (
                await session.execute(
                    select(Booking.reference, PublishedEvent.drift)
                    .join(Booking, Booking.id == PublishedEvent.booking_id)
                    .where(PublishedEvent.drift != "")
                    .order_by(PublishedEvent.updated_at.desc())
                )
            ).all()
            found = await conflicts(session, clock(settings)())
        if not rows:
            print("Aucun agenda connecté.")
        for connection, name in rows:
            state = "en échec" if connection.status == "failing" else "en service"
            synced = _local(connection.last_sync_at) if connection.last_sync_at else "jamais"
            print(f"{connection.desk_id}\t{name}\t{state}\tdernière lecture : {synced}\t"
                  f"{connection.server_url}\tcompte {connection.username}")  # fmt: skip
            if connection.last_error:
                print(f"\t{connection.last_error}")
        for reference, drift in drifts:
            print(f"Écart sur {reference} : {drift}")
        print_conflicts(found)
        return 0

    return run_with_database(settings, work)


def cmd_calendar_feed(settings: Settings, args: argparse.Namespace) -> int:
    from app.calendar_sync.feeds import create_feed, feed_urls, revoke_feeds
    from app.db.models import Desk, Site

    async def work(db: Database) -> int:
        async with db.write() as session:
            target: Desk | Site | None
            if args.desk is not None:
                target, what, ident = await session.get(Desk, args.desk), "guichet", args.desk
            else:
                target, what, ident = await session.get(Site, args.site), "site", args.site
            if target is None:
                print(f"Aucun {what} n° {ident}.", file=sys.stderr)
                return 2
            scope = {"desk_id": args.desk} if args.desk is not None else {"site_id": args.site}
            revoked = await revoke_feeds(session, clock(settings)(), **scope)
            if args.revoke:
                print(f"{revoked} abonnement(s) révoqué(s) pour « {target.name} ».")
                return 0
            token = await create_feed(session, clock(settings)(), **scope)
        if not settings.public_url:
            print("Attention : CRENEAU_PUBLIC_URL n'est pas défini ; adresse locale donnée.",
                  file=sys.stderr)  # fmt: skip
        https, webcal = feed_urls(settings.public_url or settings.base_url, token)
        if revoked:
            print(f"L'ancienne adresse ne fonctionne plus ({revoked} révoquée(s)).")
        print(f"Abonnement à l'agenda de « {target.name} » (adresse secrète, montrée une "
              "seule fois) :")  # fmt: skip
        print(f"  {webcal}")
        print(f"  {https}")
        return 0

    return run_with_database(settings, work)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    add = commands.add_parser("calendar-add", help="connecte l'agenda CalDAV d'un guichet")
    add.add_argument("--desk", type=int, required=True, metavar="N", help="numéro du guichet")
    add.add_argument("--url", required=True, help="adresse du serveur (nom seul accepté)")
    add.add_argument("--username", required=True)
    add.add_argument("--agent-email", help="adresse de l'agent dans les invitations")
    add.add_argument("--publish", help="agenda où publier les rendez-vous (URL)")
    add.add_argument("--no-publish", action="store_true", help="ne rien publier")
    add.add_argument("--read", action="append", help="agenda lu pour les absences (répétable)")
    add.add_argument("--all-busy", action="store_true", help="tout évènement rend indisponible")
    add.add_argument("--password-stdin", action="store_true", help="lit le mot de passe sur stdin")
    add.set_defaults(handler=cmd_calendar_add)
    test = commands.add_parser("calendar-test", help="teste la connexion à l'agenda d'un guichet")
    test.add_argument("--desk", type=int, required=True, metavar="N")
    test.set_defaults(handler=cmd_calendar_test)
    sync = commands.add_parser("sync-calendars", help="lit les absences des agendas connectés")
    sync.add_argument("--loop", action="store_true", help="recommence à chaque intervalle")
    sync.set_defaults(handler=cmd_sync_calendars)
    feed = commands.add_parser(
        "calendar-feed", help="crée (ou révoque) l'adresse d'abonnement d'un guichet ou site"
    )
    which = feed.add_mutually_exclusive_group(required=True)
    which.add_argument("--desk", type=int, metavar="N")
    which.add_argument("--site", type=int, metavar="N")
    feed.add_argument("--revoke", action="store_true", help="révoque sans en créer de nouvelle")
    feed.set_defaults(handler=cmd_calendar_feed)
    commands.add_parser(
        "calendar-status", help="état des agendas, écarts et rendez-vous sous une absence"
    ).set_defaults(handler=cmd_calendar_status)
