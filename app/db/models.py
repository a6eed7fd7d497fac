"""The database schema. Our database is the source of truth for every booking."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.db.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Commune(Base):
    __tablename__ = "commune"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    # A subdivision understood by `holidays.France`: "57" (Moselle) or "6AE" (Alsace) for
    # Alsace-Moselle, "971"… "976" and the overseas collectivities; empty for metropolitan
    # France.
    holiday_subdivision: Mapped[str] = mapped_column(String(10), default="")
    # The commune subscribed to SMS: confirmations and reminders also go by text message.
    sms_enabled: Mapped[bool] = mapped_column(Boolean, default=False)

    sites: Mapped[list[Site]] = relationship(back_populates="commune", order_by="Site.position")


class Site(Base):
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(400), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    position: Mapped[int] = mapped_column(Integer, default=0)

    commune: Mapped[Commune] = relationship(back_populates="sites")
    desks: Mapped[list[Desk]] = relationship(back_populates="site", order_by="Desk.id")
    types: Mapped[list[AppointmentType]] = relationship(
        back_populates="site", order_by="AppointmentType.position"
    )


class DeskType(Base):
    """Which desks serve which appointment types."""

    __tablename__ = "desk_type"

    desk_id: Mapped[int] = mapped_column(ForeignKey("desk.id"), primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id"), primary_key=True)


class Desk(Base):
    """A counter or an agent: one place where citizens are received in parallel."""

    __tablename__ = "desk"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    name: Mapped[str] = mapped_column(String(200))

    site: Mapped[Site] = relationship(back_populates="desks")
    types: Mapped[list[AppointmentType]] = relationship(
        secondary="desk_type", back_populates="desks", order_by="AppointmentType.id"
    )


class AppointmentType(Base):
    __tablename__ = "appointment_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    service: Mapped[str] = mapped_column(String(200), default="")
    # Written by the commune; sanitised with nh3 before it is stored and again when shown.
    description_html: Mapped[str] = mapped_column(Text, default="")
    gdpr_html: Mapped[str] = mapped_column(Text, default="")
    what_to_bring: Mapped[str] = mapped_column(Text, default="")
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30)
    duration_per_person: Mapped[bool] = mapped_column(Boolean, default=False)
    max_people: Mapped[int] = mapped_column(Integer, default=1)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    min_delay_minutes: Mapped[int] = mapped_column(Integer, default=120)
    horizon_days: Mapped[int] = mapped_column(Integer, default=60)
    # Places of each slot (people, or desks when exclusive) kept for bookings made by staff.
    staff_reserved_places: Mapped[int] = mapped_column(Integer, default=0)
    # Per citizen (same email or phone): at most `limit_bookings` active bookings of this
    # type made within `limit_period_days`; 0 = no limit.
    limit_bookings: Mapped[int] = mapped_column(Integer, default=0)
    limit_period_days: Mapped[int] = mapped_column(Integer, default=30)
    # How long a slot chosen at step 5 stays held for that citizen.
    hold_minutes: Mapped[int] = mapped_column(Integer, default=10)
    # A slot freed by a cancellation reopens only after this delay (against slot trading).
    cooldown_minutes: Mapped[int] = mapped_column(Integer, default=0)
    # [{"name": "...", "label": "...", "required": true, "hint": "..."}]
    extra_fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    site: Mapped[Site] = relationship(back_populates="types")
    desks: Mapped[list[Desk]] = relationship(
        secondary="desk_type", back_populates="types", order_by="Desk.id"
    )


class OpeningRule(Base):
    """A dated weekly template: on `weekday`, from `start` to `end` (local time of the site)."""

    __tablename__ = "opening_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    desk_id: Mapped[int | None] = mapped_column(ForeignKey("desk.id"), default=None)
    type_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_type.id"), default=None)
    weekday: Mapped[int] = mapped_column(Integer)
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)
    valid_from: Mapped[date | None] = mapped_column(Date, default=None)
    valid_until: Mapped[date | None] = mapped_column(Date, default=None)
    every_n_weeks: Mapped[int] = mapped_column(Integer, default=1)


class Closure(Base):
    """Days when a site is closed (inclusive range of local dates)."""

    __tablename__ = "closure"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(200), default="")


class BlockedInterval(Base):
    """An absence of a desk or agent (entered by staff or imported from their calendar)."""

    __tablename__ = "blocked_interval"
    __table_args__ = (Index("ix_blocked_desk_start", "desk_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("desk.id"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    label: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(40), default="manual")


class Booking(Base):
    __tablename__ = "booking"
    __table_args__ = (
        Index("ix_booking_desk_start", "desk_id", "start"),
        UniqueConstraint("idempotency_key", name="uq_booking_idempotency_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    uid: Mapped[str] = mapped_column(String(120), unique=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="confirmed")
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id"))
    desk_id: Mapped[int] = mapped_column(ForeignKey("desk.id"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    people: Mapped[int] = mapped_column(Integer)
    last_name: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    phone: Mapped[str] = mapped_column(String(40))
    extra: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # The draft that produced this booking: a replayed confirm finds it instead of booking twice.
    idempotency_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    type: Mapped[AppointmentType] = relationship()
    desk: Mapped[Desk] = relationship()


class Draft(Base):
    """The wizard's state, kept on the server; the browser only holds an opaque token."""

    __tablename__ = "draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    booking: Mapped[Booking | None] = relationship()


class SlotHold(Base):
    """A slot chosen at step 5, kept for that draft for a few minutes: it counts against
    capacity until it expires or the draft confirms (the hold then becomes the booking)."""

    __tablename__ = "slot_hold"
    __table_args__ = (Index("ix_slot_hold_desk_start", "desk_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id", ondelete="CASCADE"), unique=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id"))
    desk_id: Mapped[int] = mapped_column(ForeignKey("desk.id"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    people: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class OutboxMessage(Base):
    """A message to deliver (e-mail, SMS, calendar…), written in the same transaction as the
    change that caused it and delivered later by a worker (`app/outbox`)."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_outbox_message_dedupe_key"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Which registered channel delivers it ("email", "sms", "caldav"…).
    channel: Mapped[str] = mapped_column(String(40))
    # What it is about, for staff ("booking_confirmed", "reminder"…).
    kind: Mapped[str] = mapped_column(String(40))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"), default=None)
    # One key per logical message: enqueueing it again does nothing.
    dedupe_key: Mapped[str] = mapped_column(String(200))
    # Channel-specific content, composed when enqueued.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # pending → sent, or failed after the last attempt / a permanent refusal.
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A worker holds a message until lease_until; after that another may take it over.
    lease_owner: Mapped[str | None] = mapped_column(String(80), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
