"""The calendar commands as an operator runs them (until the back office exists)."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from app.db.models import CalendarConnection
from tests.calendar.bookings import make_booking
from tests.calendar.conftest import run
from tests.calendar.ics_text import absence
from tests.calendar.test_import import TUESDAY
from tests.days import at


def creneau(settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "CRENEAU_DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "CRENEAU_SECRET_KEY": settings.secret_key,
        "CRENEAU_CALDAV_CA_BUNDLE": settings.caldav_ca_bundle,
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


async def _connections(db):
    async with db.read() as session:
        return list((await session.execute(select(CalendarConnection))).scalars())


def test_add_test_sync_and_status_from_the_command_line(calendar_settings, caldav_server):
    settings = calendar_settings
    calendar = caldav_server.new_calendar(name="Accueil")
    password = caldav_server.account().password
    desk = "5"  # Accueil CCAS in the demo commune
    add = ["calendar-add", "--desk", desk, "--url", caldav_server.base_url, "--username", "alice",
           "--publish", calendar, "--password-stdin"]  # fmt: skip

    refused = creneau(settings, *add, stdin="faux\n")
    assert refused.returncode == 1
    assert "Identifiant ou mot de passe refusé par le serveur (401)." in refused.stdout
    assert "Connexion non enregistrée." in refused.stderr
    assert run(_connections, settings) == []

    booking_id = make_booking(settings, TUESDAY, 10)
    added = creneau(settings, *add, stdin=password + "\n")
    assert added.returncode == 0, added.stdout + added.stderr
    assert "Connexion enregistrée pour « Accueil CCAS »." in added.stdout
    assert "1 rendez-vous à venir seront publiés" in added.stdout
    stored = run(_connections, settings)[0]
    assert password not in stored.password_encrypted
    for output in (refused, added):
        assert password not in output.stdout + output.stderr

    assert creneau(settings, "calendar-test", "--desk", desk).returncode == 0
    caldav_server.put_raw(calendar, "x.ics", absence("cli", at(TUESDAY, 9, 30), at(TUESDAY, 11)))
    synced = creneau(settings, "sync-calendars")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert "✔ Accueil CCAS : à jour" in synced.stdout
    assert "absence « Formation » dans l'agenda" in synced.stdout
    assert at(TUESDAY, 10).strftime("%d/%m/%Y à %H:%M") in synced.stdout
    status = creneau(settings, "calendar-status")
    assert "Accueil CCAS\ten service" in status.stdout and password not in status.stdout
    assert booking_id


def test_an_unknown_desk_lists_the_desks(commune):
    result = creneau(commune, "calendar-test", "--desk", "99")
    assert result.returncode == 2 and "pas d'agenda connecté" in result.stderr


def test_calendar_feed_prints_the_secret_addresses_once_and_revokes(commune):
    settings = commune
    made = creneau(settings, "calendar-feed", "--desk", "5")
    assert made.returncode == 0, made.stderr
    webcal = next(line.strip() for line in made.stdout.splitlines() if "webcal://" in line)
    https = next(line.strip() for line in made.stdout.splitlines() if "http" in line[:10].strip()
                 and "/agenda/" in line and "webcal" not in line)  # fmt: skip
    assert webcal.endswith(".ics") and https.endswith(webcal.split("/agenda/")[1])
    again = creneau(settings, "calendar-feed", "--desk", "5")
    assert "L'ancienne adresse ne fonctionne plus (1 révoquée(s))." in again.stdout
    revoked = creneau(settings, "calendar-feed", "--desk", "5", "--revoke")
    assert "1 abonnement(s) révoqué(s) pour « Accueil CCAS »." in revoked.stdout
