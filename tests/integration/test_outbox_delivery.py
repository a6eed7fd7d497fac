"""The outbox keeps its promise with a real SMTP server: nothing lost when the server is
down, nothing twice with two workers, a final failed state staff can see."""

from __future__ import annotations

import asyncio
from argparse import Namespace
from datetime import timedelta
from email.message import EmailMessage
from email.policy import SMTP

import pytest
from sqlalchemy import select

from app.cli.core import cmd_outbox
from app.db.models import OutboxMessage
from app.db.session import Database
from app.notifications import mailbox
from app.outbox import store
from app.outbox.worker import LEASE, RetryPolicy, Worker
from app.wiring import delivery_channels
from tests.conftest import FIXED_NOW
from tests.integration.flow import book
from tests.integration.mail_helpers import SmtpServer, deliver, outbox, run, smtp_settings


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def enqueue_emails(
    settings,
    count: int,
    *,
    to: str = "citoyen@example.org",
    prefix: str = "message",
    now=FIXED_NOW,
) -> None:
    async def go(db: Database) -> None:
        async with db.write() as session:
            for n in range(count):
                message = EmailMessage(policy=SMTP)
                message["From"] = "rendez-vous@val-de-lys.example.fr"
                message["To"] = to
                message["Subject"] = f"Message {n}"
                message["Message-ID"] = f"<{prefix}-{n}@test.invalid>"
                message.set_content(f"Corps {n}")
                await store.enqueue(
                    session,
                    channel="email",
                    kind="test",
                    dedupe_key=f"test:{prefix}:{n}",
                    payload={"to": to, "message": message.as_string()},
                    now=now,
                )

    asyncio.run(run(go)(settings.database_url))


def message_ids(server) -> list[str]:
    return sorted(received.message["Message-ID"] for received in server.received)


def test_smtp_down_for_a_while_then_back_every_message_arrives_once(settings, smtp):
    settings = smtp_settings(settings, smtp.port)
    enqueue_emails(settings, 5)
    smtp.stop()
    now = FIXED_NOW
    assert deliver(settings, now) == 5
    rows = outbox(settings)
    assert {row.status for row in rows} == {"pending"}
    assert {row.attempts for row in rows} == {1}
    assert all("Connect" in row.last_error or "connect" in row.last_error for row in rows)
    # Exponential backoff: nothing is retried before 30 s, then 60 s after the second failure.
    assert {row.next_attempt_at - now for row in rows} == {timedelta(seconds=30)}
    assert deliver(settings, now + timedelta(seconds=29)) == 0
    now += timedelta(seconds=30)
    assert deliver(settings, now) == 5
    assert {row.next_attempt_at - now for row in outbox(settings)} == {timedelta(seconds=60)}

    smtp.start()
    assert deliver(settings, now + timedelta(seconds=59)) == 0
    assert smtp.received == []
    now += timedelta(seconds=60)
    assert deliver(settings, now) == 5
    assert message_ids(smtp) == [f"<message-{n}@test.invalid>" for n in range(5)]
    assert {row.status for row in outbox(settings)} == {"sent"}
    # Later passes send nothing more.
    assert deliver(settings, now + timedelta(days=1)) == 0
    assert len(smtp.received) == 5


def test_two_workers_at_once_send_each_message_once(settings, smtp):
    settings = smtp_settings(settings, smtp.port)
    smtp.handler.delay_seconds = 0.02  # each send takes a while: the workers overlap
    enqueue_emails(settings, 40)

    async def two_workers() -> list[int]:
        first, second = Database(settings.database_url), Database(settings.database_url)
        try:
            workers = [
                Worker(db, delivery_channels(settings), lambda: FIXED_NOW, batch_size=5)
                for db in (first, second)
            ]
            return await asyncio.gather(*(worker.deliver_due() for worker in workers))
        finally:
            await first.dispose()
            await second.dispose()

    tried = asyncio.run(two_workers())
    assert sum(tried) == 40
    assert all(count > 0 for count in tried), tried  # both took part
    assert message_ids(smtp) == sorted(f"<message-{n}@test.invalid>" for n in range(40))
    assert {(row.status, row.attempts) for row in outbox(settings)} == {("sent", 1)}


def test_a_refused_address_fails_at_once_and_staff_see_it(settings, smtp, capsys):
    settings = smtp_settings(settings, smtp.port)
    smtp.handler.refuse.add("inconnu@example.org")
    enqueue_emails(settings, 1, to="inconnu@example.org")
    deliver(settings, FIXED_NOW)
    (row,) = outbox(settings)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550" in row.last_error
    assert deliver(settings, FIXED_NOW + timedelta(days=1)) == 0  # never retried

    assert cmd_outbox(settings, Namespace(retry=None)) == 0
    listing = capsys.readouterr().out
    assert f"{row.id}\t" in listing and "email" in listing and "550" in listing

    # Staff fixed the address book: the message goes back in the queue.
    smtp.handler.refuse.clear()
    assert cmd_outbox(settings, Namespace(retry=row.id)) == 0
    deliver(settings, FIXED_NOW + timedelta(days=1))
    assert message_ids(smtp) == ["<message-0@test.invalid>"]
    assert cmd_outbox(settings, Namespace(retry=None)) == 0
    assert "Aucun message en échec." in capsys.readouterr().out


def test_after_the_last_attempt_the_message_fails_for_good(settings, smtp):
    settings = smtp_settings(settings, smtp.port)
    policy = RetryPolicy(first_delay=timedelta(seconds=10), max_attempts=3)
    enqueue_emails(settings, 1)
    smtp.stop()
    now = FIXED_NOW
    for delay in (0, 10, 20):  # 10 s, then 20 s: doubling
        now += timedelta(seconds=delay)
        assert deliver(settings, now, retry=policy) == 1
    (row,) = outbox(settings)
    assert (row.status, row.attempts) == ("failed", 3)
    smtp.start()
    assert deliver(settings, now + timedelta(days=1), retry=policy) == 0
    assert smtp.received == []


def test_a_worker_that_dies_after_sending_leaves_one_file(settings):
    """The crash between "sent" and "marked": with the mailbox (no SMTP configured), the
    second delivery rewrites the same file; the message is marked sent once."""
    enqueue_emails(settings, 1)

    async def crash_after_sending(db: Database) -> None:
        (delivery,) = await store.claim(
            db, "worker-a", FIXED_NOW, lease=LEASE, limit=10, max_attempts=8
        )
        await delivery_channels(settings)["email"](delivery)
        # …and the process dies here, before store.mark_sent.

    asyncio.run(run(crash_after_sending)(settings.database_url))
    directory = mailbox.mailbox_dir(settings.data_dir)
    assert len(list(directory.glob("*.eml"))) == 1
    # Another worker cannot take it while worker-a's lease lasts…
    assert deliver(settings, FIXED_NOW + LEASE - timedelta(seconds=1)) == 0
    # …then does, and delivers it again: still one message in the mailbox.
    assert deliver(settings, FIXED_NOW + LEASE) == 1
    assert len(list(directory.glob("*.eml"))) == 1
    (row,) = outbox(settings)
    assert (row.status, row.attempts) == ("sent", 2)


def test_over_smtp_a_copy_after_a_crash_carries_the_same_message_id(settings, smtp):
    """SMTP cannot be asked whether a message arrived: after a crash between send and mark
    the message is sent again with the same Message-ID (and, for invitations, the same UID
    and SEQUENCE), so mail and calendar clients treat it as the same message."""
    settings = smtp_settings(settings, smtp.port)
    enqueue_emails(settings, 1)

    async def crash_after_sending(db: Database) -> None:
        (delivery,) = await store.claim(
            db, "worker-a", FIXED_NOW, lease=LEASE, limit=10, max_attempts=8
        )
        await delivery_channels(settings)["email"](delivery)

    asyncio.run(run(crash_after_sending)(settings.database_url))
    deliver(settings, FIXED_NOW + LEASE)
    assert message_ids(smtp) == ["<message-0@test.invalid>"] * 2
    assert deliver(settings, FIXED_NOW + timedelta(days=1)) == 0
    assert len(smtp.received) == 2


def test_a_live_worker_keeps_its_lease_however_slow_the_server(settings, smtp):
    """Issue 13, point 21: the lease is short, so a live worker renews it (a heartbeat on
    the application's clock) while it is still sending: ten minutes into a slow delivery,
    another worker still cannot take the message, and it is sent once."""
    settings = smtp_settings(settings, smtp.port)
    enqueue_emails(settings, 2)
    smtp.handler.hold()

    async def slow_delivery(db: Database) -> tuple[int, list[store.Delivery]]:
        now = [FIXED_NOW]
        worker = Worker(
            db,
            delivery_channels(settings),
            lambda: now[0],
            heartbeat_seconds=0.05,
            worker_id="vivant",
        )
        sending = asyncio.create_task(worker.deliver_due())
        try:
            assert await asyncio.to_thread(smtp.handler.held.wait, 30)
            now[0] = FIXED_NOW + timedelta(minutes=10)

            async def renewed() -> None:
                while True:
                    async with db.read() as session:
                        leases = (
                            await session.execute(select(OutboxMessage.lease_until))
                        ).scalars()
                        if set(leases) == {now[0] + LEASE}:
                            return
                    await asyncio.sleep(0.02)

            await asyncio.wait_for(renewed(), timeout=30)
            taken = await store.claim(
                db,
                "autre",
                now[0] + LEASE - timedelta(seconds=1),
                lease=LEASE,
                limit=10,
                max_attempts=8,
            )
        finally:
            smtp.handler.release()
        return await sending, taken

    tried, taken_by_another = asyncio.run(run(slow_delivery)(settings.database_url))
    assert (tried, taken_by_another) == (2, [])
    assert message_ids(smtp) == ["<message-0@test.invalid>", "<message-1@test.invalid>"]
    assert [(row.status, row.attempts) for row in outbox(settings)] == [("sent", 1)] * 2


def test_the_embedded_worker_sends_the_confirmation(settings, smtp, clock):
    """`make run`'s default: the worker runs inside the web process."""
    from dataclasses import replace

    from litestar.testing import TestClient

    from app.asgi import create_app
    from tests.conftest import Citizen

    settings = replace(smtp_settings(settings, smtp.port), embedded_worker=True)
    with TestClient(create_app(settings, clock=clock), base_url="http://127.0.0.1") as client:
        book(Citizen(client))
        received = smtp.wait_for(1)
    assert len(received) == 1
    assert received[0].message["Subject"].startswith("Rendez-vous confirmé")


def test_sent_messages_are_deleted_after_thirty_days_failed_ones_kept(settings, smtp):
    from app.wiring import build_worker

    settings = smtp_settings(settings, smtp.port)
    enqueue_emails(settings, 2)
    smtp.handler.refuse.add("perdu@example.org")
    enqueue_emails(settings, 1, to="perdu@example.org", prefix="refused")
    deliver(settings, FIXED_NOW)
    assert sorted(row.status for row in outbox(settings)) == ["failed", "sent", "sent"]

    def periodic_jobs_at(now):
        async def go(db):
            await build_worker(db, settings, lambda: now).run_jobs()

        asyncio.run(run(go)(settings.database_url))

    periodic_jobs_at(FIXED_NOW + timedelta(days=29))
    assert len(outbox(settings)) == 3
    periodic_jobs_at(FIXED_NOW + timedelta(days=31))
    assert [row.status for row in outbox(settings)] == ["failed"]
