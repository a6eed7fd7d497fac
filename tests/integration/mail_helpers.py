"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the notification tests, and helpers to run
the outbox worker and read the database from a test."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.db.models import Booking, OutboxMessage
from app.db.session import Database
from app.outbox.worker import RetryPolicy, Worker
from app.settings import MailSettings, Settings
from app.wiring import delivery_channels
from tests.days import PARIS


def sms_when(start: datetime) -> str:
    """How an SMS writes a start, in Paris: « 30/11/2026 a 10h00 », « 07/12/2026 a 8h30 »."""
    local = start.astimezone(PARIS)
    return f"{local:%d/%m/%Y} a {local.hour}h{local.minute:02d}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=default)  # type: ignore[return-value]


@dataclass
class MailHandler:
    """Records every accepted message; refuses the recipients listed in `refuse` with 550.
    After `hold()`, a message is recorded (the server has it) but the answer to its DATA
    waits until `release()`; `held` is set once that happens: the client is then in the
    middle of a delivery, for as long as the test wants."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    delay_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    holding: bool = False
    held: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def hold(self) -> None:
        self.released.clear()
        self.holding = True

    def release(self) -> None:
        self.holding = False
        self.released.set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 Destinataire inconnu"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        if self.holding:
            self.held.set()
            await asyncio.to_thread(self.released.wait, 120)
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd in its own thread; `stop()` then `start()` simulates an outage on one port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = MailHandler()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.received


def smtp_settings(settings: Settings, port: int, **changes: Any) -> Settings:
    mail = MailSettings(
        host="127.0.0.1",
        port=port,
        security="none",
        from_address="Mairie de Val-de-Lys <rendez-vous@val-de-lys.example.fr>",
        timeout_seconds=5,
    )
    return replace(settings, mail=mail, embedded_worker=False, **changes)


def run(coro_factory) -> Any:
    """Runs `coro_factory(db)` on a fresh loop with its own database engines."""

    async def main(url: str) -> Any:
        db = Database(url)
        try:
            return await coro_factory(db)
        finally:
            await db.dispose()

    return main


def deliver(settings: Settings, now, *, retry: RetryPolicy | None = None, worker_id=None) -> int:
    """One pass of a fresh worker (its own process, as far as the database can tell)."""

    async def go(db: Database) -> int:
        worker = Worker(
            db, delivery_channels(settings), lambda: now, retry=retry, worker_id=worker_id
        )
        return await worker.deliver_due()

    return asyncio.run(run(go)(settings.database_url))


def outbox(settings: Settings) -> list[OutboxMessage]:
    async def go(db: Database) -> list[OutboxMessage]:
        async with db.read() as session:
            return list(
                (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
            )

    return asyncio.run(run(go)(settings.database_url))


def only_booking(settings: Settings) -> Booking:
    async def go(db: Database) -> Booking:
        async with db.read() as session:
            return (await session.execute(select(Booking))).scalar_one()

    return asyncio.run(run(go)(settings.database_url))
