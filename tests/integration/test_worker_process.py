"""`creneau worker` as its own process: it delivers what the web process queued and stops
cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXED_NOW
from tests.integration.mail_helpers import SmtpServer, outbox
from tests.integration.test_outbox_delivery import enqueue_emails

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def test_the_worker_command_delivers_and_stops_on_sigterm(settings, smtp, tmp_path):
    enqueue_emails(settings, 3, now=FIXED_NOW)  # the process runs at the suite's instant
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "CRENEAU_SECRET_KEY": settings.secret_key,
        "CRENEAU_DATA_DIR": str(tmp_path),
        "CRENEAU_SMTP_HOST": "127.0.0.1",
        "CRENEAU_SMTP_PORT": str(smtp.port),
        "CRENEAU_SMTP_SECURITY": "none",
        "CRENEAU_MAIL_FROM": "Mairie <rendez-vous@val-de-lys.example.fr>",
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        received = smtp.wait_for(3, timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert len(received) == 3, output.decode()
    assert process.returncode == 0, output.decode()
    assert "travailleur" in output.decode() and "arrêté" in output.decode()
    assert {row.status for row in outbox(settings)} == {"sent"}
