"""Knowing when the reference data changed, so that every process may cache it.

The reference tables (the commune, its sites, desks, appointment types, which desk serves
which type, opening rules and closures) change only when the back office saves something,
and are read on every citizen request. `reference_version` holds one token; every
transaction that changes a reference table writes a new random token just before it
commits, in the same transaction. A process that cached those tables reads the token
(one tiny statement) and keeps its copy while the token is the one it was read under.

Nobody has to remember to change the token: the sessions of `Database` are
`TrackedSession`s, whose events notice every change to a reference table made through
them — ORM objects added, changed or deleted (`before_flush`), and UPDATE, DELETE and
INSERT statements executed on those tables (`do_orm_execute`). Only textual SQL
(`text(...)`) and statements run on a bare connection escape them; the application runs
none on these tables, and a migration that changes their rows must write a new token.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Table, event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.orm.session import SessionTransaction

from app.db.models import (
    AppointmentType,
    Base,
    Closure,
    Commune,
    Desk,
    DeskType,
    OpeningRule,
    ReferenceVersion,
    Site,
)

REFERENCE_MODELS: tuple[type[Base], ...] = (
    Commune,
    Site,
    Desk,
    DeskType,
    AppointmentType,
    OpeningRule,
    Closure,
)
REFERENCE_TABLES = frozenset(model.__tablename__ for model in REFERENCE_MODELS)

ROW_ID = 1
# Keys of `Session.info`.
CHANGED = "reference_changed"  # this transaction changed a reference table
SEEN = "reference_version_seen"  # the token this transaction read
SLOT = "reference_slot"  # the Database's ReferenceSlot, shared by all its sessions


class ReferenceSlot:
    """Where a `Database` keeps what was cached from the reference tables, and under
    which token. The value is whatever the caching module stores (app.booking.reference);
    this module only keeps it apart from other databases' copies."""

    __slots__ = ("value", "version")

    def __init__(self) -> None:
        self.version: str | None = None
        self.value: object = None


class TrackedSession(Session):
    """The sessions of `Database`: reference changes made through them change the token."""


def _is_reference(instance: object) -> bool:
    return isinstance(instance, REFERENCE_MODELS)


def _pending_reference_change(session: Session) -> bool:
    """Whether objects of a reference table wait to be flushed (added, deleted, or
    changed: `session.dirty` also lists objects merely touched)."""
    return (
        any(_is_reference(instance) for instance in session.new)
        or any(_is_reference(instance) for instance in session.deleted)
        or any(
            _is_reference(instance) and session.is_modified(instance) for instance in session.dirty
        )
    )


@event.listens_for(TrackedSession, "before_flush")
def _on_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    if _pending_reference_change(session):
        session.info[CHANGED] = True


@event.listens_for(TrackedSession, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if isinstance(table, Table) and table.name in REFERENCE_TABLES:
        state.session.info[CHANGED] = True


@event.listens_for(TrackedSession, "before_commit")
def _on_commit(session: Session) -> None:
    """The new token is the transaction's last write: what is left is flushed first, so
    that the change is seen; the token's row is then locked only until the commit, and a
    transaction holding it waits for nothing else (no deadlock with other locks)."""
    if session.in_nested_transaction():
        return  # a savepoint released: the outer transaction writes the token
    if session.new or session.dirty or session.deleted:
        session.flush()
    if session.info.get(CHANGED):
        write_new_version(session)


@event.listens_for(TrackedSession, "after_transaction_end")
def _on_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(CHANGED, None)
        session.info.pop(SEEN, None)


def write_new_version(session: Session) -> None:
    token = secrets.token_hex(16)
    connection = session.connection()  # not session.execute: no flush, no event
    changed = connection.execute(
        update(ReferenceVersion).where(ReferenceVersion.id == ROW_ID).values(version=token)
    ).rowcount
    if not changed:  # the row is missing (emptied by hand): put it back
        connection.execute(insert(ReferenceVersion).values(id=ROW_ID, version=token))


def changed_here(session: AsyncSession) -> bool:
    """Whether this session's transaction changed reference data (flushed or not): it
    must read the tables themselves, and what it reads must not be cached."""
    sync = session.sync_session
    return bool(sync.info.get(CHANGED)) or _pending_reference_change(sync)


async def current_version(session: AsyncSession) -> str | None:
    """The token, read once per transaction (a transaction keeps the token it first
    read, like the rows it reads). None: the row is missing, nothing can be cached."""
    if SEEN not in session.info:
        session.info[SEEN] = (
            await session.execute(
                select(ReferenceVersion.version).where(ReferenceVersion.id == ROW_ID)
            )
        ).scalar()
    seen: str | None = session.info[SEEN]
    return seen


def slot_of(session: AsyncSession) -> ReferenceSlot | None:
    """The cache of the `Database` this session belongs to (None: not one of its
    sessions, nothing is cached)."""
    slot = session.info.get(SLOT)
    return slot if isinstance(slot, ReferenceSlot) else None
