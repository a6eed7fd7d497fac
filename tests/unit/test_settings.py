import os
import stat

import pytest

from app.settings import ConfigurationError, Settings


def test_a_newcomer_needs_no_configuration(tmp_path):
    settings = Settings.from_env({"CRENEAU_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'creneau.db'}"
    key_file = tmp_path / "secret_key"
    assert settings.secret_key == key_file.read_text()
    assert len(settings.secret_key) >= 48
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    # The same key on the next start: forms in progress stay valid.
    assert Settings.from_env({"CRENEAU_DATA_DIR": str(tmp_path)}).secret_key == settings.secret_key


def test_the_secret_key_never_shows_in_a_repr(tmp_path):
    settings = Settings.from_env({"CRENEAU_DATA_DIR": str(tmp_path)})
    assert settings.secret_key not in repr(settings)


def test_several_processes_on_postgresql_must_share_a_given_key(tmp_path):
    env = {
        "CRENEAU_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "postgresql+asyncpg://creneau@db/creneau",
    }
    with pytest.raises(ConfigurationError, match="CRENEAU_SECRET_KEY est obligatoire"):
        Settings.from_env(env)
    assert not (tmp_path / "secret_key").exists()
    given = Settings.from_env({**env, "CRENEAU_SECRET_KEY": "k" * 64})
    assert given.secret_key == "k" * 64
