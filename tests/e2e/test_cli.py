"""The `creneau` command, as an operator runs it, against the real server the browser
tests use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.cli import main, parser


def run_cli(*args: str, tmp_path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "CRENEAU_DATA_DIR": str(tmp_path), **env}
    environment.pop("CRENEAU_SECRET_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_healthcheck_answers_for_a_running_server(server_url, tmp_path):
    port = str(urlsplit(server_url).port)
    assert run_cli("healthcheck", tmp_path=tmp_path, PORT=port).returncode == 0


def test_healthcheck_fails_when_nothing_listens(tmp_path):
    assert run_cli("healthcheck", tmp_path=tmp_path, PORT="9").returncode == 1


def test_a_missing_secret_key_outside_sqlite_stops_with_a_french_message(tmp_path):
    result = run_cli(
        "migrate",
        tmp_path=tmp_path,
        DATABASE_URL="postgresql+asyncpg://creneau@127.0.0.1:1/creneau",
    )
    assert result.returncode == 2
    assert "CRENEAU_SECRET_KEY est obligatoire" in result.stderr
    assert "Traceback" not in result.stderr


# Every sub-command, with the arguments it requires.
EVERY_COMMAND = [
    ["serve"],
    ["migrate"],
    ["demo"],
    ["worker"],
    ["send-reminders"],
    ["outbox"],
    ["healthcheck"],
    ["calendar-add", "--desk", "1", "--url", "https://agenda.fr", "--username", "agent"],
    ["calendar-test", "--desk", "1"],
    ["sync-calendars"],
    ["calendar-status"],
    ["calendar-feed", "--desk", "1"],
    ["purge-personal-data"],
    ["create-admin", "--email", "admin@mairie.fr", "--name", "Admin"],
]


def test_every_command_lists_them_all():
    commands = parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert sorted(commands) == sorted(argv[0] for argv in EVERY_COMMAND)


@pytest.mark.parametrize(
    ("variable", "value", "command"),
    [("PORT", "abc", "migrate"), ("CRENEAU_DRAFT_MINUTES", "-5", "outbox")],
)
def test_a_wrong_setting_stops_the_command_with_a_french_message(
    tmp_path, variable, value, command
):
    """`PORT=abc creneau migrate` ended in a ValueError traceback, and
    CRENEAU_DRAFT_MINUTES=-5 was taken. Run as an operator would: the installed command."""
    environment = {**os.environ, "CRENEAU_DATA_DIR": str(tmp_path), variable: value}
    environment.pop("CRENEAU_SECRET_KEY", None)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "creneau"), command],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"Configuration : {variable} doit être un nombre entier"), (
        result.stderr
    )
    assert repr(value) in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "creneau.db").exists()  # nothing done


@pytest.mark.parametrize("argv", EVERY_COMMAND, ids=lambda argv: argv[0])
def test_every_command_checks_the_settings_before_anything_else(
    tmp_path, monkeypatch, capsys, argv
):
    """The same start for every sub-command (in this process: starting 14 interpreters
    costs more than the check)."""
    monkeypatch.setenv("CRENEAU_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PORT", "abc")
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("Configuration : PORT doit être un nombre entier")
    assert not (tmp_path / "creneau.db").exists()
