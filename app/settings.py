"""All configuration, read from the environment in one place."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# A draft outlives a pause of a whole day: WCAG 2.2.1 exempts time limits over 20 hours.
DEFAULT_DRAFT_MINUTES = 24 * 60


class ConfigurationError(Exception):
    """A setting is missing or wrong; the message says which, in French."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "oui"}


def _load_or_create_secret(data_dir: Path) -> str:
    """A random secret kept in the data folder, so that a newcomer needs no configuration.
    Created readable by its owner only, and by one process only if several start at once."""
    path = data_dir / "secret_key"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w") as file:
        file.write(key)
    return key


SMTP_SECURITY = ("starttls", "tls", "none")
SMS_PROVIDERS = ("", "brevo", "ovh", "webhook")


@dataclass(frozen=True)
class MailSettings:
    """Outgoing e-mail. No host: messages are written as .eml files in the data folder."""

    host: str = ""
    port: int = 587
    # "starttls" (port 587), "tls" (implicit TLS, port 465) or "none" (a local relay only).
    security: str = "starttls"
    username: str = ""
    password: str = field(default="", repr=False)
    # The sender every message shows; an address of a domain the platform sends for.
    from_address: str = "Créneau <ne-pas-repondre@creneau.invalid>"
    # A private certificate authority to trust (an internal relay); public CAs otherwise.
    ca_file: str = ""
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class SmsSettings:
    """Outgoing SMS (only for communes that subscribed). No provider: written next to the
    .eml files, shown in the development mailbox."""

    provider: str = ""
    sender: str = "Mairie"
    brevo_api_key: str = field(default="", repr=False)
    brevo_url: str = "https://api.brevo.com/v3/transactionalSMS/send"
    ovh_endpoint: str = "https://eu.api.ovh.com/1.0"
    ovh_application_key: str = ""
    ovh_application_secret: str = field(default="", repr=False)
    ovh_consumer_key: str = field(default="", repr=False)
    ovh_service_name: str = ""
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    timeout_seconds: float = 15.0


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str = field(repr=False)
    host: str = "127.0.0.1"
    port: int = 8000
    secure_cookies: bool = False
    draft_lifetime_minutes: int = DEFAULT_DRAFT_MINUTES
    # Requests working on the database at once; the others queue (app/web/admission.py).
    # 0: chosen from the database (below each connection pool's size).
    max_requests_in_flight: int = 0
    # Step 5's week is computed once for everyone who holds nothing, then shared this many
    # seconds (0: computed for each page; app/booking/shared_weeks.py).
    shared_week_seconds: float = 1.0
    load_demo: bool = True
    # Where citizens reach the service; empty until configured (then links cannot be built
    # from it, and calendar UIDs use a neutral domain).
    public_url: str = ""
    # Calendar bridge: how often `creneau sync-calendars --loop` reads the calendars, how
    # long one CalDAV request may take (a whole calendar's listing: longer, a cold server
    # may take minutes for thousands of events), and a CA bundle for servers signed by the
    # commune's own authority (empty: the system's authorities).
    calendar_sync_minutes: int = 10
    caldav_timeout_seconds: float = 20.0
    caldav_listing_timeout_seconds: float = 600.0
    caldav_ca_bundle: str = ""
    # Development aids (the /_dev/mail mailbox); on for `make run`, off otherwise.
    debug: bool = False
    # uvicorn's line per request: on in development, off by default otherwise (a reverse
    # proxy usually keeps its own, and writing one costs a rush CPU time).
    access_log: bool = False
    mail: MailSettings = field(default_factory=MailSettings)
    sms: SmsSettings = field(default_factory=SmsSettings)
    # Reminders leave the day before the appointment at this hour (the site's local time).
    reminder_hour: int = 10
    # The outbox worker inside the web process; `creneau worker` can run it separately.
    embedded_worker: bool = True
    # Web push: the VAPID private key (PEM or raw base64url; empty: made on first start and
    # kept in the database) and the contact the push services see (mailto: or https:).
    vapid_private_key: str = field(default="", repr=False)
    vapid_subject: str = ""
    # Tests and demonstrations only: the application's clock stopped at this instant
    # (CRENEAU_FROZEN_NOW, ISO 8601 with its offset). None: the machine's clock.
    frozen_now: datetime | None = None

    @property
    def push_subject(self) -> str:
        return self.vapid_subject or f"mailto:{parseaddr(self.mail.from_address)[1]}"

    @property
    def base_url(self) -> str:
        """The start of every absolute link sent to citizens."""
        if self.public_url:
            return self.public_url
        host = "127.0.0.1" if self.host in {"0.0.0.0", "::", ""} else self.host  # noqa: S104
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def uid_domain(self) -> str:
        """The host name used in calendar UIDs (they must never change once given)."""
        return urlsplit(self.public_url).hostname or "creneau.invalid"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("CRENEAU_DATA_DIR") or PROJECT_ROOT / "data").resolve()
        database_url = env.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'creneau.db'}"
        secret_key = env.get("CRENEAU_SECRET_KEY", "")
        if not secret_key:
            if not database_url.startswith("sqlite"):
                # Several processes behind a load balancer must share one key, or their
                # forms fail at random with "formulaire expiré".
                raise ConfigurationError(
                    "CRENEAU_SECRET_KEY est obligatoire avec une base autre que SQLite : "
                    "donnez la même valeur aléatoire et longue à tous les processus."
                )
            secret_key = _load_or_create_secret(data_dir)
        debug = _bool(env.get("CRENEAU_DEBUG"), False)
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            secret_key=secret_key,
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", "8000")),
            secure_cookies=_bool(env.get("CRENEAU_SECURE_COOKIES"), False),
            draft_lifetime_minutes=int(env.get("CRENEAU_DRAFT_MINUTES") or DEFAULT_DRAFT_MINUTES),
            max_requests_in_flight=int(env.get("CRENEAU_MAX_REQUESTS_IN_FLIGHT") or 0),
            shared_week_seconds=float(env.get("CRENEAU_SHARED_WEEK_SECONDS") or 1.0),
            load_demo=_bool(env.get("CRENEAU_DEMO"), True),
            public_url=env.get("CRENEAU_PUBLIC_URL", "").rstrip("/"),
            calendar_sync_minutes=int(env.get("CRENEAU_CALENDAR_SYNC_MINUTES") or 10),
            caldav_timeout_seconds=float(env.get("CRENEAU_CALDAV_TIMEOUT") or 20),
            caldav_listing_timeout_seconds=float(env.get("CRENEAU_CALDAV_LISTING_TIMEOUT") or 600),
            caldav_ca_bundle=env.get("CRENEAU_CALDAV_CA_BUNDLE", ""),
            debug=debug,
            access_log=_bool(env.get("CRENEAU_ACCESS_LOG"), debug),
            mail=_mail_settings(env),
            sms=_sms_settings(env),
            reminder_hour=_reminder_hour(env.get("CRENEAU_REMINDER_HOUR")),
            embedded_worker=_bool(env.get("CRENEAU_EMBEDDED_WORKER"), True),
            vapid_private_key=env.get("CRENEAU_VAPID_PRIVATE_KEY", ""),
            vapid_subject=env.get("CRENEAU_VAPID_SUBJECT", ""),
            frozen_now=_instant("CRENEAU_FROZEN_NOW", env.get("CRENEAU_FROZEN_NOW")),
        )


def _mail_settings(env: dict[str, str]) -> MailSettings:
    security = (env.get("CRENEAU_SMTP_SECURITY") or "starttls").strip().lower()
    if security not in SMTP_SECURITY:
        raise ConfigurationError(
            f"CRENEAU_SMTP_SECURITY doit valoir starttls, tls ou none (reçu : {security!r})."
        )
    default_port = {"starttls": 587, "tls": 465, "none": 25}[security]
    defaults = MailSettings()
    return MailSettings(
        host=env.get("CRENEAU_SMTP_HOST", "").strip(),
        port=int(env.get("CRENEAU_SMTP_PORT") or default_port),
        security=security,
        username=env.get("CRENEAU_SMTP_USERNAME", ""),
        password=env.get("CRENEAU_SMTP_PASSWORD", ""),
        from_address=env.get("CRENEAU_MAIL_FROM") or defaults.from_address,
        ca_file=env.get("CRENEAU_SMTP_CA_FILE", ""),
    )


def _sms_settings(env: dict[str, str]) -> SmsSettings:
    provider = (env.get("CRENEAU_SMS_PROVIDER") or "").strip().lower()
    if provider not in SMS_PROVIDERS:
        raise ConfigurationError(
            "CRENEAU_SMS_PROVIDER doit valoir brevo, ovh ou webhook, ou rester vide "
            f"(reçu : {provider!r})."
        )
    defaults = SmsSettings()
    return SmsSettings(
        provider=provider,
        sender=env.get("CRENEAU_SMS_SENDER") or defaults.sender,
        brevo_api_key=env.get("CRENEAU_BREVO_API_KEY", ""),
        brevo_url=env.get("CRENEAU_BREVO_URL") or defaults.brevo_url,
        ovh_endpoint=(env.get("CRENEAU_OVH_ENDPOINT") or defaults.ovh_endpoint).rstrip("/"),
        ovh_application_key=env.get("CRENEAU_OVH_APPLICATION_KEY", ""),
        ovh_application_secret=env.get("CRENEAU_OVH_APPLICATION_SECRET", ""),
        ovh_consumer_key=env.get("CRENEAU_OVH_CONSUMER_KEY", ""),
        ovh_service_name=env.get("CRENEAU_OVH_SERVICE_NAME", ""),
        webhook_url=env.get("CRENEAU_SMS_WEBHOOK_URL", ""),
        webhook_secret=env.get("CRENEAU_SMS_WEBHOOK_SECRET", ""),
    )


def _reminder_hour(raw: str | None) -> int:
    hour = int(raw) if raw not in (None, "") else 10
    if not 0 <= hour <= 23:
        raise ConfigurationError("CRENEAU_REMINDER_HOUR doit être une heure entre 0 et 23.")
    return hour


def _instant(name: str, raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        instant = datetime.fromisoformat(raw.strip())
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise ConfigurationError(
            f"{name} doit être un instant ISO 8601 avec son décalage horaire, par exemple "
            f"2026-11-30T08:00:00+01:00 (reçu : {raw!r})."
        )
    return instant
