"""`creneau worker` as its own process: it delivers what the web process queued and stops
cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from app.outbox.worker import LEASE
from tests.conftest import FIXED_NOW
from tests.integration.mail_helpers import SmtpServer, deliver, outbox, smtp_settings
from tests.integration.test_outbox_delivery import enqueue_emails, message_ids

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def worker_environment(settings, smtp, tmp_path) -> dict[str, str]:
    return {
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


def test_the_worker_command_delivers_and_stops_on_sigterm(settings, smtp, tmp_path):
    enqueue_emails(settings, 3, now=FIXED_NOW)  # the process runs at the suite's instant
    env = worker_environment(settings, smtp, tmp_path)
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


def test_a_worker_killed_while_sending_hands_its_messages_over_when_its_short_lease_ends(
    settings, smtp, tmp_path
):
    """Issue 13, point 21: `creneau worker` dies (SIGKILL) while the SMTP server holds the
    first of the three messages it claimed, the server having received it. Another worker
    takes all three over once the short lease ends (30 s on the application's clock, not
    5 minutes): the first is sent a second time with the same Message-ID (at least once),
    the two others once."""
    enqueue_emails(settings, 3, now=FIXED_NOW)  # the process runs at the suite's instant
    smtp.handler.hold()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        cwd=PROJECT_ROOT,
        env=worker_environment(settings, smtp, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        in_the_middle = smtp.handler.held.wait(timeout=60)
    finally:
        process.kill()
        output, _ = process.communicate(timeout=30)
        smtp.handler.release()
    assert in_the_middle, output.decode()
    assert process.returncode == -signal.SIGKILL
    rows = outbox(settings)
    assert [(row.status, row.attempts) for row in rows] == [("pending", 1)] * 3
    assert {row.lease_until for row in rows} == {FIXED_NOW + LEASE}

    settings = smtp_settings(settings, smtp.port)
    assert deliver(settings, FIXED_NOW + LEASE - timedelta(seconds=1)) == 0
    assert deliver(settings, FIXED_NOW + LEASE) == 3
    assert message_ids(smtp) == [
        "<message-0@test.invalid>",
        "<message-0@test.invalid>",
        "<message-1@test.invalid>",
        "<message-2@test.invalid>",
    ]
    assert [(row.status, row.attempts) for row in outbox(settings)] == [("sent", 2)] * 3
