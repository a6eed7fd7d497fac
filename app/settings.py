"""All configuration, read from the environment in one place."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "oui"}


def _load_or_create_secret(data_dir: Path) -> str:
    """A random secret kept in the data folder, so that a newcomer needs no configuration."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str = field(repr=False)
    host: str = "127.0.0.1"
    port: int = 8000
    debug: bool = False
    secure_cookies: bool = False
    draft_lifetime_minutes: int = 60
    load_demo: bool = True
    public_url: str = "http://127.0.0.1:8000"

    @property
    def uid_domain(self) -> str:
        """The host name used in calendar UIDs."""
        return urlsplit(self.public_url).hostname or "creneau.localhost"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("CRENEAU_DATA_DIR") or PROJECT_ROOT / "data").resolve()
        database_url = env.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'creneau.db'}"
        secret_key = env.get("CRENEAU_SECRET_KEY") or _load_or_create_secret(data_dir)
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            secret_key=secret_key,
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", "8000")),
            debug=_bool(env.get("CRENEAU_DEBUG"), False),
            secure_cookies=_bool(env.get("CRENEAU_SECURE_COOKIES"), False),
            draft_lifetime_minutes=int(env.get("CRENEAU_DRAFT_MINUTES", "60")),
            load_demo=_bool(env.get("CRENEAU_DEMO"), True),
            public_url=env.get("CRENEAU_PUBLIC_URL")
            or f"http://{env.get('HOST', '127.0.0.1')}:{env.get('PORT', '8000')}",
        )
