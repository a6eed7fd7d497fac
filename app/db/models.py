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
    LargeBinary,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column, relationship

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
    # Personal data of past bookings is erased this many days after the appointment.
    retention_days: Mapped[int] = mapped_column(Integer, default=365)
    # "#RRGGBB", the colour of the citizen pages and the installed app.
    primary_color: Mapped[str] = mapped_column(String(7), default="#000091")
    # The logo shown on the citizen pages (PNG or JPEG, checked on upload); the bytes are
    # loaded only by the route serving them, the digest names the current version.
    logo_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, default=None))
    logo_content_type: Mapped[str] = mapped_column(String(20), default="")
    logo_digest: Mapped[str] = mapped_column(String(64), default="")
    # Written in Markdown by an administrator; the HTML is rendered and sanitised on save.
    legal_notice_md: Mapped[str] = mapped_column(Text, default="")
    legal_notice_html: Mapped[str] = mapped_column(Text, default="")
    accessibility_md: Mapped[str] = mapped_column(Text, default="")
    accessibility_html: Mapped[str] = mapped_column(Text, default="")
    # What the agents' calendar events and feeds say about the person
    # (`calendar_sync.desk_event.DETAILS`): "initiale" (first name and initial, by
    # default), "reference" (no name) or "complet" (name, phone, e-mail, extra fields).
    calendar_details: Mapped[str] = mapped_column(String(20), default="initiale")

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
    # The Markdown the administrator wrote (the two columns above are its sanitised HTML).
    description_md: Mapped[str] = mapped_column(Text, default="")
    gdpr_md: Mapped[str] = mapped_column(Text, default="")
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
    # [{"name": "...", "label": "...", "required": true, "hint": "...", "kind": "text"}]
    # kind: "text" (default), "number" or "date".
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


class ReferenceVersion(Base):
    """One row: a token that changes with every committed change to the reference tables
    (`app.db.reference_version.REFERENCE_TABLES`: the commune, sites, desks, types, opening
    rules and closures). Each process caches those tables and reads this token to know
    whether its copy is still current; the token is random, so a value a process has seen
    never comes back with other data (a rolled-back change, a restored backup)."""

    __tablename__ = "reference_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(32))


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
    # Set for absences imported from a calendar: the stored object they were expanded from
    # (replaced whenever that object changes, deleted with it).
    calendar_object_id: Mapped[int | None] = mapped_column(
        ForeignKey("calendar_object.id", ondelete="CASCADE"), default=None, index=True
    )


class Booking(Base):
    __tablename__ = "booking"
    __table_args__ = (
        # Covering what the free slots read (planning.read_occupations): the bookings of a
        # range found and summed from the index alone, without a visit to each row.
        Index(
            "ix_booking_desk_start_cover",
            "desk_id",
            "start",
            "end",
            "status",
            "type_id",
            "people",
            "by_staff",
        ),
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
    # None until staff mark it: "attended" or "no_show".
    attendance: Mapped[str | None] = mapped_column(String(20), default=None)
    # When the retention job (or an erasure request) removed the person's data.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Cancelled by an agent: the place is free at once (the cool-down is against citizens
    # trading slots, not for the town hall's own decisions).
    cancelled_by_staff: Mapped[bool] = mapped_column(Boolean, default=False)

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
    # Who asked: a keyed hash of the client's address group (app/protection), so that one
    # address cannot hoard live holds; empty for the staff and the tests that bypass it.
    holder: Mapped[str] = mapped_column(String(64), default="", server_default="", index=True)


class CalendarConnection(Base):
    """A desk's (or agent's) CalDAV account: where its bookings are published and which
    calendars say when it is busy. The password is stored encrypted
    (`calendar_sync.credentials`) and never shown back."""

    __tablename__ = "calendar_connection"

    id: Mapped[int] = mapped_column(primary_key=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("desk.id"), unique=True)
    server_url: Mapped[str] = mapped_column(String(500))
    username: Mapped[str] = mapped_column(String(320))
    password_encrypted: Mapped[str] = mapped_column(Text)
    # The address the agent is invited as (events they declined are not busy time).
    agent_email: Mapped[str] = mapped_column(String(320), default="")
    publish_calendar_url: Mapped[str] = mapped_column(String(500), default="")
    # The publishing calendar's RFC 6578 token, when it is not also read for absences: a
    # sync lists what changed in it to find the events someone edited or removed.
    publish_sync_token: Mapped[str | None] = mapped_column(String(500), default=None)
    # "Everything in these calendars is busy", even events marked free (TRANSP:TRANSPARENT).
    all_busy: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # "ok" or "failing"; the French message of the last failure, for staff.
    status: Mapped[str] = mapped_column(String(20), default="ok")
    last_error: Mapped[str] = mapped_column(Text, default="")
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    desk: Mapped[Desk] = relationship()
    sources: Mapped[list[CalendarSource]] = relationship(
        back_populates="connection", order_by="CalendarSource.id", cascade="all, delete-orphan"
    )


class CalendarSource(Base):
    """One calendar read for busy time, with its RFC 6578 sync token."""

    __tablename__ = "calendar_source"
    __table_args__ = (UniqueConstraint("connection_id", "url", name="uq_calendar_source_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("calendar_connection.id", ondelete="CASCADE")
    )
    url: Mapped[str] = mapped_column(String(500))
    sync_token: Mapped[str | None] = mapped_column(String(500), default=None)
    # Recurrences are expanded up to this instant; the daily move of the horizon
    # re-expands the stored objects without asking the server.
    expanded_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    connection: Mapped[CalendarConnection] = relationship(back_populates="sources")


class CalendarObject(Base):
    """A calendar object resource as the server gave it, by href and ETag."""

    __tablename__ = "calendar_object"
    __table_args__ = (UniqueConstraint("source_id", "href", name="uq_calendar_object_href"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("calendar_source.id", ondelete="CASCADE"))
    href: Mapped[str] = mapped_column(String(500))
    etag: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[str] = mapped_column(Text, default="")


class PublishedEvent(Base):
    """Where a booking's event lives on its desk's calendar, and the ETag we last wrote."""

    __tablename__ = "published_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), unique=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("calendar_connection.id", ondelete="CASCADE")
    )
    href: Mapped[str] = mapped_column(String(500))
    etag: Mapped[str] = mapped_column(String(200), default="")
    # The booking's SEQUENCE when we last wrote it: a lower one means an update is owed.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # "present" or "deleted" (the booking was cancelled and its event removed).
    state: Mapped[str] = mapped_column(String(20), default="present")
    # What we found changed or missing on the server, for staff (the booking is unchanged).
    drift: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CalendarFeed(Base):
    """A secret subscription URL serving a desk's or a site's bookings as iCalendar.
    Only the token's SHA-256 is stored; revoking sets `revoked_at`."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    desk_id: Mapped[int | None] = mapped_column(ForeignKey("desk.id"), default=None)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


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


class StaffUser(Base):
    """A town-hall staff account (back office). The e-mail is stored lower-cased; only an
    argon2 hash of the password is kept."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # "admin", "agent" or "viewer" (app.staff.roles.Role).
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    sites: Mapped[list[Site]] = relationship(secondary="staff_site", order_by="Site.id")


class StaffSite(Base):
    """The sites an agent works on (administrators and viewers see every site)."""

    __tablename__ = "staff_site"

    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )


class StaffSession(Base):
    """A logged-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Never valid after this, however active the session was.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    staff: Mapped[StaffUser] = relationship()


class LoginFailure(Base):
    """A failed login, counted per account and client address group, and per address group
    (hashed keys, app/staff/throttle.py)."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_key_at", "key_hash", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class RateCounter(Base):
    """Requests of one kind from one client address group in one window of time
    (app/protection/rate_limits.py). The key is a keyed hash: no address in clear."""

    __tablename__ = "rate_counter"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True)  # its start, epoch seconds
    hits: Mapped[int] = mapped_column(Integer)


class AuditEvent(Base):
    """One staff action on bookings or settings: who, when, what."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), default=None, index=True
    )
    # The actor's name and e-mail when it happened ("Système" for jobs): kept if the
    # account is renamed or deleted.
    actor_label: Mapped[str] = mapped_column(String(400))
    action: Mapped[str] = mapped_column(String(80), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PushSubscription(Base):
    """A browser's Web Push subscription for one booking (the citizen opted in on that
    device after confirming). Deleted when the push service says it expired (404/410)."""

    __tablename__ = "push_subscription"
    __table_args__ = (
        UniqueConstraint("booking_id", "endpoint", name="uq_push_subscription_booking_endpoint"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("booking.id", ondelete="CASCADE"), index=True
    )
    endpoint: Mapped[str] = mapped_column(String(1000))
    # The browser's P-256 public key and auth secret (RFC 8291), base64url without padding.
    p256dh: Mapped[str] = mapped_column(String(100))
    auth: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VapidKey(Base):
    """The installation's VAPID key pair (RFC 8292), made on first start; one row."""

    __tablename__ = "vapid_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    # PKCS#8 PEM of the P-256 private key.
    private_pem: Mapped[str] = mapped_column(Text)
    # The uncompressed public point, base64url without padding (the browser's
    # applicationServerKey).
    public_key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
