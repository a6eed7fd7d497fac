"""`creneau create-admin`, as an operator runs it (password on standard input, as from a
script; a terminal would be asked twice with getpass)."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from app.db.models import AuditEvent, Commune, StaffUser
from app.settings import Settings
from tests.integration.helpers import fetch

PASSWORD = "une phrase de passe pour la mairie"


def create_admin(tmp_path, password: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "CRENEAU_DATA_DIR": str(tmp_path), **env}
    for name in ("CRENEAU_SECRET_KEY", "DATABASE_URL"):
        environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "create-admin", *args],
        input=password + "\n",
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def settings_of(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'creneau.db'}",
        secret_key="unused",
    )


def test_the_first_administrator_of_an_empty_installation(tmp_path):
    result = create_admin(
        tmp_path, PASSWORD, "--email", "Secretariat@Mairie.fr", "--name", "Sam Secrétaire",
        CRENEAU_DEMO="false",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Administrateur secretariat@mairie.fr créé" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    settings = settings_of(tmp_path)
    admin = fetch(settings, select(StaffUser))[0]
    assert admin.role == "admin" and admin.active and admin.email == "secretariat@mairie.fr"
    assert PASSWORD not in admin.password_hash and admin.password_hash.startswith("$argon2id$")
    assert fetch(settings, select(Commune.name)) == ["Ma commune"]
    assert fetch(settings, select(AuditEvent.action)) == ["account.created"]


def test_short_passwords_and_duplicates_are_refused(tmp_path):
    short = create_admin(tmp_path, "court", "--email", "a@mairie.fr", "--name", "A")
    assert short.returncode == 1
    assert "au moins 12 caractères" in short.stderr and "Traceback" not in short.stderr
    assert create_admin(tmp_path, PASSWORD, "--email", "a@mairie.fr", "--name", "A").returncode == 0
    again = create_admin(tmp_path, PASSWORD, "--email", "A@mairie.fr", "--name", "A")
    assert again.returncode == 1
    assert "Un compte existe déjà avec cette adresse e-mail." in again.stderr
    settings = settings_of(tmp_path)
    assert len(fetch(settings, select(StaffUser))) == 1
    assert fetch(settings, select(Commune.name)) == ["Mairie de Val-de-Lys"]  # the demo
