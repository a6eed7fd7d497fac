"""All configuration, read from the environment in one place."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# A draft outlives a pause of a whole day: WCAG 2.2.1 exempts time limits over 20 hours.
DEFAULT_DRAFT_MINUTES = 24 * 60
# The drivers the application is written for (async SQLAlchemy).
DATABASE_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
# A signing key shorter than this could be guessed offline from a signed link.
MINIMUM_SECRET_KEY_LENGTH = 32


class ConfigurationError(Exception):
    """A setting is missing or wrong; the message says which, in French."""


TRUE_WORDS = frozenset({"1", "true", "yes", "on", "oui"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", "non"})


def _refuse(
    name: str, expected: str, raw: str | None, *, secret: bool = False
) -> ConfigurationError:
    """The message of a wrong setting: its variable, what it expects, what it got (never
    the value of a secret)."""
    received = "" if secret or raw is None else f" (reçu : {raw!r})"
    return ConfigurationError(f"{name} doit {expected}{received}.")


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    # A misspelt "oui" taken for "non" would, say, leave cookies without `Secure`.
    raise _refuse(name, "valoir oui ou non (1/0, true/false, on/off)", raw)


def _int(
    env: dict[str, str], name: str, default: int, lowest: int, highest: int, unit: str = ""
) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = None
    if value is None or not lowest <= value <= highest:
        raise _refuse(name, f"être un nombre entier{unit} entre {lowest} et {highest}", raw)
    return value


def _number(
    env: dict[str, str], name: str, default: float, lowest: float, highest: float, unit: str
) -> float:
    """A decimal number (a dot or a comma) within [lowest, highest]."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw.strip().replace(",", "."))
    except ValueError:
        value = math.nan
    if not lowest <= value <= highest:  # NaN fails both comparisons
        bounds = f"entre {lowest:g} et {highest:g}".replace(".", ",")
        raise _refuse(name, f"être un nombre{unit} {bounds}", raw)
    return value


def _web_address(env: dict[str, str], name: str, default: str = "") -> str:
    """An http(s) address with a host, or the default when empty."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.fragment:
        raise _refuse(name, "être une adresse web complète, par exemple https://exemple.fr", raw)
    return raw


def _readable_file(env: dict[str, str], name: str) -> str:
    raw = env.get(name, "").strip()
    if raw and not (Path(raw).is_file() and os.access(raw, os.R_OK)):
        raise _refuse(name, "être le chemin d'un fichier lisible (certificats PEM)", raw)
    return raw


def _database_url(raw: str) -> str:
    try:
        url = make_url(raw)
    except ArgumentError:
        url = None
    if url is None or url.drivername not in DATABASE_DRIVERS:
        # The address may carry a password: never repeated.
        raise _refuse(
            "DATABASE_URL",
            "être une adresse sqlite+aiosqlite:///chemin/du/fichier.db ou "
            "postgresql+asyncpg://utilisateur:mot-de-passe@serveur/base",
            None,
        )
    if url.drivername.startswith("postgresql") and not (url.host or url.query.get("host")):
        raise _refuse("DATABASE_URL", "être une adresse PostgreSQL qui nomme son serveur", None)
    return raw


def _vapid_private_key(raw: str) -> str:
    """CRENEAU_VAPID_PRIVATE_KEY: a PEM EC P-256 private key, or its 32-byte scalar in
    base64url (app/push/vapid.py reads it)."""
    value = raw.strip()
    if not value:
        return ""
    try:
        if value.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(value.encode(), password=None)
            valid = isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(
                key.curve, ec.SECP256R1
            )
        else:
            scalar = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1())
            valid = len(scalar) == 32
    except (ValueError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise _refuse(
            "CRENEAU_VAPID_PRIVATE_KEY",
            "être une clé privée EC P-256 (PEM, ou 32 octets en base64url), ou rester vide",
            None,
            secret=True,
        )
    return value


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
class ProtectionSettings:
    """Protection of the public flow and of the staff login (docs/DECISIONS.md §95)."""

    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks); empty: the
    # direct peer is the client, whatever the headers say.
    trusted_proxies: tuple[str, ...] = ()
    # Requests per client address (IPv6: per /64) in each window; 0: no limit. A booking
    # takes one start, one to a few holds and one confirmation.
    rate_window_minutes: int = 10
    starts_per_window: int = 30
    holds_per_window: int = 60
    confirmations_per_window: int = 10
    # Slots one address may hold at once, in as many bookings in progress (0: no cap).
    live_holds_per_address: int = 3
    # When a type has this many live holds (0: never), new holds last rush_hold_minutes.
    rush_holds: int = 20
    rush_hold_minutes: int = 3


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
    protection: ProtectionSettings = field(default_factory=ProtectionSettings)
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
        """Every setting read and checked: a wrong one raises ConfigurationError, whose
        French message names the variable and what it expects (`creneau` prints it and
        exits with status 2)."""
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("CRENEAU_DATA_DIR") or PROJECT_ROOT / "data").resolve()
        database_url = _database_url(
            env.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'creneau.db'}"
        )
        secret_key = env.get("CRENEAU_SECRET_KEY", "")
        if secret_key and len(secret_key) < MINIMUM_SECRET_KEY_LENGTH:
            raise _refuse(
                "CRENEAU_SECRET_KEY",
                f"être une valeur aléatoire d'au moins {MINIMUM_SECRET_KEY_LENGTH} caractères",
                None,
                secret=True,
            )
        if not secret_key:
            if not database_url.startswith("sqlite"):
                # Several processes behind a load balancer must share one key, or their
                # forms fail at random with "formulaire expiré".
                raise ConfigurationError(
                    "CRENEAU_SECRET_KEY est obligatoire avec une base autre que SQLite : "
                    "donnez la même valeur aléatoire et longue à tous les processus."
                )
            try:
                secret_key = _load_or_create_secret(data_dir)
            except OSError as error:
                raise ConfigurationError(
                    f"CRENEAU_DATA_DIR doit être un dossier où Créneau peut écrire "
                    f"(reçu : {str(data_dir)!r} : {error.strerror})."
                ) from None
        debug = _bool(env, "CRENEAU_DEBUG", False)
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            secret_key=secret_key,
            host=env.get("HOST", "").strip() or "127.0.0.1",
            port=_int(env, "PORT", 8000, 1, 65535),
            secure_cookies=_bool(env, "CRENEAU_SECURE_COOKIES", False),
            draft_lifetime_minutes=_int(
                env, "CRENEAU_DRAFT_MINUTES", DEFAULT_DRAFT_MINUTES, 1, 30 * 24 * 60, " de minutes"
            ),
            max_requests_in_flight=_int(env, "CRENEAU_MAX_REQUESTS_IN_FLIGHT", 0, 0, 10_000),
            shared_week_seconds=_number(
                env, "CRENEAU_SHARED_WEEK_SECONDS", 1.0, 0, 3600, " de secondes"
            ),
            load_demo=_bool(env, "CRENEAU_DEMO", True),
            public_url=_web_address(env, "CRENEAU_PUBLIC_URL").rstrip("/"),
            calendar_sync_minutes=_int(
                env, "CRENEAU_CALENDAR_SYNC_MINUTES", 10, 1, 24 * 60, " de minutes"
            ),
            caldav_timeout_seconds=_number(
                env, "CRENEAU_CALDAV_TIMEOUT", 20.0, 1, 600, " de secondes"
            ),
            caldav_listing_timeout_seconds=_number(
                env, "CRENEAU_CALDAV_LISTING_TIMEOUT", 600.0, 1, 24 * 3600, " de secondes"
            ),
            caldav_ca_bundle=_readable_file(env, "CRENEAU_CALDAV_CA_BUNDLE"),
            debug=debug,
            access_log=_bool(env, "CRENEAU_ACCESS_LOG", debug),
            mail=_mail_settings(env),
            sms=_sms_settings(env),
            protection=_protection_settings(env),
            reminder_hour=_int(env, "CRENEAU_REMINDER_HOUR", 10, 0, 23, " (une heure)"),
            embedded_worker=_bool(env, "CRENEAU_EMBEDDED_WORKER", True),
            vapid_private_key=_vapid_private_key(env.get("CRENEAU_VAPID_PRIVATE_KEY", "")),
            vapid_subject=_vapid_subject(env.get("CRENEAU_VAPID_SUBJECT", "")),
            frozen_now=_instant("CRENEAU_FROZEN_NOW", env.get("CRENEAU_FROZEN_NOW")),
        )


def _mail_settings(env: dict[str, str]) -> MailSettings:
    raw_security = env.get("CRENEAU_SMTP_SECURITY") or "starttls"
    security = raw_security.strip().lower()
    if security not in SMTP_SECURITY:
        raise _refuse("CRENEAU_SMTP_SECURITY", "valoir starttls, tls ou none", raw_security)
    default_port = {"starttls": 587, "tls": 465, "none": 25}[security]
    defaults = MailSettings()
    return MailSettings(
        host=env.get("CRENEAU_SMTP_HOST", "").strip(),
        port=_int(env, "CRENEAU_SMTP_PORT", default_port, 1, 65535),
        security=security,
        username=env.get("CRENEAU_SMTP_USERNAME", ""),
        password=env.get("CRENEAU_SMTP_PASSWORD", ""),
        from_address=_sender_address(env.get("CRENEAU_MAIL_FROM") or defaults.from_address),
        ca_file=_readable_file(env, "CRENEAU_SMTP_CA_FILE"),
    )


def _sender_address(raw: str) -> str:
    """CRENEAU_MAIL_FROM: « Nom <adresse@domaine> » or a bare address, on one line."""
    _name, address = parseaddr(raw)
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain or any(c in raw for c in "\r\n"):
        raise _refuse(
            "CRENEAU_MAIL_FROM",
            "être une adresse d'expédition, par exemple « Mairie <rendez-vous@ma-commune.fr> »",
            raw,
        )
    return raw


# What each SMS operator needs to send anything.
SMS_REQUIRED = {
    "brevo": ("CRENEAU_BREVO_API_KEY",),
    "ovh": (
        "CRENEAU_OVH_APPLICATION_KEY",
        "CRENEAU_OVH_APPLICATION_SECRET",
        "CRENEAU_OVH_CONSUMER_KEY",
        "CRENEAU_OVH_SERVICE_NAME",
    ),
    "webhook": ("CRENEAU_SMS_WEBHOOK_URL",),
}


def _sms_settings(env: dict[str, str]) -> SmsSettings:
    raw_provider = env.get("CRENEAU_SMS_PROVIDER") or ""
    provider = raw_provider.strip().lower()
    if provider not in SMS_PROVIDERS:
        raise _refuse(
            "CRENEAU_SMS_PROVIDER", "valoir brevo, ovh ou webhook, ou rester vide", raw_provider
        )
    for name in SMS_REQUIRED.get(provider, ()):
        if not env.get(name, "").strip():
            raise ConfigurationError(
                f"{name} est obligatoire avec CRENEAU_SMS_PROVIDER={provider}."
            )
    defaults = SmsSettings()
    sender = env.get("CRENEAU_SMS_SENDER") or defaults.sender
    # What operators accept as a sender: 11 letters or digits at most, or a number.
    if not (
        (len(sender) <= 11 and sender.replace(" ", "").isalnum() and sender.isascii())
        or (sender.removeprefix("+").isdigit() and len(sender.removeprefix("+")) <= 15)
    ):
        raise _refuse(
            "CRENEAU_SMS_SENDER",
            "être un nom d'expéditeur de 11 lettres ou chiffres au plus, sans accent, ou un numéro",
            sender,
        )
    return SmsSettings(
        provider=provider,
        sender=sender,
        brevo_api_key=env.get("CRENEAU_BREVO_API_KEY", ""),
        brevo_url=_web_address(env, "CRENEAU_BREVO_URL", defaults.brevo_url),
        ovh_endpoint=_web_address(env, "CRENEAU_OVH_ENDPOINT", defaults.ovh_endpoint).rstrip("/"),
        ovh_application_key=env.get("CRENEAU_OVH_APPLICATION_KEY", ""),
        ovh_application_secret=env.get("CRENEAU_OVH_APPLICATION_SECRET", ""),
        ovh_consumer_key=env.get("CRENEAU_OVH_CONSUMER_KEY", ""),
        ovh_service_name=env.get("CRENEAU_OVH_SERVICE_NAME", ""),
        webhook_url=_web_address(env, "CRENEAU_SMS_WEBHOOK_URL"),
        webhook_secret=env.get("CRENEAU_SMS_WEBHOOK_SECRET", ""),
    )


def _vapid_subject(raw: str) -> str:
    """Who push services may contact: a mailto: or https: address (RFC 8292 §2.1)."""
    value = raw.strip()
    if value and not (
        (value.startswith("mailto:") and "@" in value)
        or (value.startswith("https://") and urlsplit(value).hostname)
    ):
        raise _refuse(
            "CRENEAU_VAPID_SUBJECT",
            "être une adresse mailto:… ou https://…, ou rester vide",
            raw,
        )
    return value


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


def _protection_settings(env: dict[str, str]) -> ProtectionSettings:
    return ProtectionSettings(
        trusted_proxies=_networks("CRENEAU_TRUSTED_PROXIES", env.get("CRENEAU_TRUSTED_PROXIES")),
        rate_window_minutes=_int(env, "CRENEAU_RATE_WINDOW_MINUTES", 10, 1, 24 * 60, MINUTES),
        starts_per_window=_int(env, "CRENEAU_RATE_STARTS", 30, 0, 1_000_000),
        holds_per_window=_int(env, "CRENEAU_RATE_HOLDS", 60, 0, 1_000_000),
        confirmations_per_window=_int(env, "CRENEAU_RATE_CONFIRMATIONS", 10, 0, 1_000_000),
        live_holds_per_address=_int(env, "CRENEAU_HOLDS_PER_ADDRESS", 3, 0, 1_000_000),
        rush_holds=_int(env, "CRENEAU_RUSH_HOLDS", 20, 0, 1_000_000),
        rush_hold_minutes=_int(env, "CRENEAU_RUSH_HOLD_MINUTES", 3, 1, 24 * 60, MINUTES),
    )


MINUTES = " de minutes"


def _networks(name: str, raw: str | None) -> tuple[str, ...]:
    """Addresses or networks separated by commas or spaces, each checked."""
    networks = []
    for item in (raw or "").replace(",", " ").split():
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            expected = (
                "lister des adresses IP ou des réseaux (par exemple 10.0.0.5, "
                "192.168.1.0/24, ::1), séparés par des virgules"
            )
            raise _refuse(name, expected, item) from None
    return tuple(networks)
