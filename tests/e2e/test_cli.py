"""The `creneau` command, as an operator runs it, against the real server the browser
tests use."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit


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
