"""All configuration, read from the environment in one place."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str = field(repr=False)
    host: str = "127.0.0.1"
    port: int = 8000
    secure_cookies: bool = False
    draft_lifetime_minutes: int = DEFAULT_DRAFT_MINUTES
    load_demo: bool = True
    # Where citizens reach the service; empty until configured (then links cannot be built
    # from it, and calendar UIDs use a neutral domain).
    public_url: str = ""
    # Calendar bridge: how often `creneau sync-calendars --loop` reads the calendars, how
    # long one CalDAV request may take, and a CA bundle for servers signed by the
    # commune's own authority (empty: the system's authorities).
    calendar_sync_minutes: int = 10
    caldav_timeout_seconds: float = 20.0
    caldav_ca_bundle: str = ""

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
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            secret_key=secret_key,
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", "8000")),
            secure_cookies=_bool(env.get("CRENEAU_SECURE_COOKIES"), False),
            draft_lifetime_minutes=int(env.get("CRENEAU_DRAFT_MINUTES") or DEFAULT_DRAFT_MINUTES),
            load_demo=_bool(env.get("CRENEAU_DEMO"), True),
            public_url=env.get("CRENEAU_PUBLIC_URL", "").rstrip("/"),
            calendar_sync_minutes=int(env.get("CRENEAU_CALENDAR_SYNC_MINUTES") or 10),
            caldav_timeout_seconds=float(env.get("CRENEAU_CALDAV_TIMEOUT") or 20),
            caldav_ca_bundle=env.get("CRENEAU_CALDAV_CA_BUNDLE", ""),
        )
