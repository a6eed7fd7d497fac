"""The outbox worker: claims due messages, hands each to its channel, records the outcome,
and runs periodic jobs (reminders) on the same loop.

Runs inside the web process for the embedded default (started by `app.asgi`) or as its own
process (`creneau worker`); any number can run at once, leases keep them apart.

A lease is short (`LEASE`, 30 s of the application's clock) and renewed every
`HEARTBEAT_SECONDS` while the worker still has messages of its batch to deliver: a live
worker keeps them however slow a server is, and the messages of a worker that died are
taken over by another once its last lease ends, at most `LEASE` later (decision 92).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.clock import Clock
from app.db.session import Database
from app.outbox import store
from app.outbox.channels import Channels, PermanentFailure

log = logging.getLogger("creneau.outbox")

# How long a claim lasts without news of its worker, on the application's clock.
LEASE = timedelta(seconds=30)
# How often, in real seconds, a worker with messages in hand renews their lease.
HEARTBEAT_SECONDS = 10.0


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    run: Callable[[datetime], Awaitable[object]]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: first retry after `first_delay`, doubling up to `longest_delay`;
    the message fails for good after `max_attempts` attempts (8 by default: about 2 hours)."""

    first_delay: timedelta = timedelta(seconds=30)
    longest_delay: timedelta = timedelta(hours=1)
    max_attempts: int = 8

    def delay_after(self, attempt: int) -> timedelta:
        doubled: timedelta = self.first_delay * 2 ** (attempt - 1)
        return min(doubled, self.longest_delay)


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class Worker:
    def __init__(
        self,
        db: Database,
        channels: Channels,
        clock: Clock,
        *,
        retry: RetryPolicy | None = None,
        lease: timedelta = LEASE,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        batch_size: int = 20,
        jobs: Sequence[PeriodicJob] = (),
        worker_id: str | None = None,
    ) -> None:
        self.db = db
        self.channels = channels
        self.clock = clock
        self.retry = retry or RetryPolicy()
        # Renewed every `heartbeat_seconds` while held: it only has to outlast a few missed
        # heartbeats, not the slowest delivery.
        self.lease = lease
        self.heartbeat_seconds = heartbeat_seconds
        self.batch_size = batch_size
        self.jobs = list(jobs)
        self.worker_id = worker_id or new_worker_id()
        self._next_job_run: dict[str, float] = {}

    async def deliver_due(self) -> int:
        """Delivers the messages due now, batch after batch; returns how many were tried."""
        tried = 0
        while True:
            batch = await store.claim(
                self.db,
                self.worker_id,
                self.clock(),
                lease=self.lease,
                limit=self.batch_size,
                max_attempts=self.retry.max_attempts,
            )
            if not batch:
                return tried
            in_hand = [delivery.id for delivery in batch]
            done = asyncio.Event()
            heartbeat = asyncio.create_task(self._heartbeat(in_hand, done))
            try:
                for delivery in batch:
                    await self._deliver(delivery)
                    in_hand.remove(delivery.id)
            finally:
                done.set()  # lets a renewal under way finish its transaction
                await heartbeat
            tried += len(batch)
            if len(batch) < self.batch_size:
                return tried

    async def _heartbeat(self, in_hand: list[int], done: asyncio.Event) -> None:
        """Until `done`: renews the lease of the messages still in hand (the list shrinks as
        they are delivered). A failed renewal is logged and tried again at the next beat."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout=self.heartbeat_seconds)
            if done.is_set() or not in_hand:
                return
            try:
                await store.renew(self.db, list(in_hand), self.worker_id, self.clock() + self.lease)
            except Exception as error:  # noqa: BLE001 - the next beat tries again
                log.warning(
                    "file d'envoi : bail non renouvelé (%s), nouvel essai au prochain battement",
                    type(error).__name__,
                )

    async def _deliver(self, delivery: store.Delivery) -> None:
        deliver = self.channels.get(delivery.channel)
        try:
            if deliver is None:
                raise LookupError(f"Canal inconnu : {delivery.channel}")
            await deliver(delivery)
        except Exception as error:  # noqa: BLE001 - every failure is recorded, none is lost
            permanent = isinstance(error, PermanentFailure)
            last = permanent or delivery.attempt >= self.retry.max_attempts
            retry_at = None if last else self.clock() + self.retry.delay_after(delivery.attempt)
            # Only the error's class and text: never the payload (personal data).
            log.warning(
                "message %s (%s, %s) : tentative %s échouée%s : %s",
                delivery.id,
                delivery.channel,
                delivery.kind,
                delivery.attempt,
                " définitivement" if last else "",
                type(error).__name__,
            )
            await store.mark_attempt_failed(
                self.db,
                delivery.id,
                self.worker_id,
                f"{type(error).__name__}: {error}",
                retry_at=retry_at,
            )
            return
        await store.mark_sent(self.db, delivery.id, self.clock())

    async def run_jobs(self) -> None:
        """Runs each periodic job whose time has come (each at most once per `every`)."""
        for job in self.jobs:
            due = self._next_job_run.get(job.name, 0.0)
            if time.monotonic() < due:
                continue
            self._next_job_run[job.name] = time.monotonic() + job.every.total_seconds()
            try:
                await job.run(self.clock())
            except Exception:
                log.exception("tâche périodique %s en échec", job.name)

    async def run(self, stop: asyncio.Event, poll_seconds: float = 2.0) -> None:
        """Until `stop` is set: periodic jobs, then due messages, then a short sleep. A
        database outage is logged and waited out."""
        log.info("file d'envoi : travailleur %s démarré", self.worker_id)
        while not stop.is_set():
            try:
                await self.run_jobs()
                await self.deliver_due()
            except Exception:
                log.exception("file d'envoi : erreur, nouvel essai dans %s s", poll_seconds)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
        log.info("file d'envoi : travailleur %s arrêté", self.worker_id)
