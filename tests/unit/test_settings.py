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


# A wrong value of each setting, and the words of what it expects.
WRONG_SETTINGS = [
    ("PORT", "abc", "un nombre entier entre 1 et 65535"),
    ("PORT", "70000", "un nombre entier entre 1 et 65535"),
    ("CRENEAU_DRAFT_MINUTES", "-5", "un nombre entier de minutes entre 1 et 43200"),
    ("CRENEAU_DRAFT_MINUTES", "0", "un nombre entier de minutes entre 1 et 43200"),
    ("CRENEAU_MAX_REQUESTS_IN_FLIGHT", "-1", "un nombre entier entre 0 et 10000"),
    ("CRENEAU_SHARED_WEEK_SECONDS", "nan", "un nombre de secondes entre 0 et 3600"),
    ("CRENEAU_SHARED_WEEK_SECONDS", "-1", "un nombre de secondes entre 0 et 3600"),
    ("CRENEAU_CALENDAR_SYNC_MINUTES", "0", "un nombre entier de minutes entre 1 et 1440"),
    ("CRENEAU_CALDAV_TIMEOUT", "vingt", "un nombre de secondes entre 1 et 600"),
    ("CRENEAU_CALDAV_CA_BUNDLE", "/nulle/part.pem", "le chemin d'un fichier lisible"),
    ("CRENEAU_REMINDER_HOUR", "dix", "un nombre entier (une heure) entre 0 et 23"),
    ("CRENEAU_REMINDER_HOUR", "24", "un nombre entier (une heure) entre 0 et 23"),
    ("CRENEAU_SECURE_COOKIES", "ouii", "oui ou non"),
    ("CRENEAU_DEMO", "peut-être", "oui ou non"),
    ("CRENEAU_DEBUG", "2", "oui ou non"),
    ("CRENEAU_ACCESS_LOG", "yes please", "oui ou non"),
    ("CRENEAU_EMBEDDED_WORKER", "vrai", "oui ou non"),
    ("CRENEAU_PUBLIC_URL", "rendez-vous.mairie.fr", "une adresse web complète"),
    ("CRENEAU_SMTP_PORT", "smtp", "un nombre entier entre 1 et 65535"),
    ("CRENEAU_SMTP_SECURITY", "ssl", "starttls, tls ou none"),
    ("CRENEAU_SMTP_CA_FILE", "/nulle/part.pem", "le chemin d'un fichier lisible"),
    ("CRENEAU_MAIL_FROM", "Mairie", "une adresse d'expédition"),
    ("CRENEAU_SMS_PROVIDER", "sfr", "brevo, ovh ou webhook, ou rester vide"),
    ("CRENEAU_SMS_SENDER", "Mairie de Saint-Rémy", "11 lettres ou chiffres au plus"),
    ("CRENEAU_BREVO_URL", "api.brevo.com", "une adresse web complète"),
    ("CRENEAU_VAPID_SUBJECT", "mairie@example.fr", "une adresse mailto:… ou https://…"),
    ("CRENEAU_FROZEN_NOW", "2026-11-30 08:00", "un instant ISO 8601 avec son décalage"),
]


@pytest.mark.parametrize(("name", "value", "expected"), WRONG_SETTINGS)
def test_a_wrong_setting_is_refused_with_its_name_and_what_it_expects(
    tmp_path, name, value, expected
):
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({"CRENEAU_DATA_DIR": str(tmp_path), name: value})
    message = str(refused.value)
    assert message.startswith(f"{name} doit "), message
    assert expected in message
    assert repr(value) in message  # what was read, to find the typo


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"DATABASE_URL": "mysql://creneau:motdepasse@db/creneau"},
            "DATABASE_URL doit être une adresse",
        ),
        ({"DATABASE_URL": "pas une adresse"}, "DATABASE_URL doit être une adresse"),
        ({"CRENEAU_SECRET_KEY": "motdepasse"}, "au moins 32 caractères"),
        ({"CRENEAU_VAPID_PRIVATE_KEY": "motdepasse"}, "une clé privée EC P-256"),
    ],
)
def test_a_wrong_secret_is_refused_without_repeating_it(tmp_path, env, expected):
    with pytest.raises(ConfigurationError, match=expected) as refused:
        Settings.from_env({"CRENEAU_DATA_DIR": str(tmp_path), **env})
    assert "motdepasse" not in str(refused.value)
    assert "pas une adresse" not in str(refused.value)


def test_an_sms_operator_without_its_credentials_is_refused(tmp_path):
    env = {"CRENEAU_DATA_DIR": str(tmp_path), "CRENEAU_SMS_PROVIDER": "brevo"}
    with pytest.raises(ConfigurationError, match="CRENEAU_BREVO_API_KEY est obligatoire"):
        Settings.from_env(env)
    assert Settings.from_env({**env, "CRENEAU_BREVO_API_KEY": "clé"}).sms.provider == "brevo"


def test_a_data_folder_that_cannot_be_created_is_named(tmp_path):
    blocker = tmp_path / "fichier"
    blocker.write_text("")
    with pytest.raises(ConfigurationError, match="CRENEAU_DATA_DIR doit être un dossier"):
        Settings.from_env({"CRENEAU_DATA_DIR": str(blocker / "donnees")})


def test_right_values_in_every_accepted_spelling(tmp_path):
    settings = Settings.from_env(
        {
            "CRENEAU_DATA_DIR": str(tmp_path),
            "PORT": " 8080 ",
            "CRENEAU_SECURE_COOKIES": "Oui",
            "CRENEAU_DEMO": "non",
            "CRENEAU_SHARED_WEEK_SECONDS": "0,5",
            "CRENEAU_DRAFT_MINUTES": "30",
            "CRENEAU_PUBLIC_URL": "https://rdv.mairie.fr/",
            "CRENEAU_SMS_SENDER": "+33612345678",
            "CRENEAU_VAPID_SUBJECT": "mailto:dsi@mairie.fr",
            "DATABASE_URL": "postgresql+asyncpg://creneau:motdepasse@db:5432/creneau",
            "CRENEAU_SECRET_KEY": "k" * 32,
        }
    )
    assert (settings.port, settings.secure_cookies, settings.load_demo) == (8080, True, False)
    assert (settings.shared_week_seconds, settings.draft_lifetime_minutes) == (0.5, 30)
    assert settings.public_url == "https://rdv.mairie.fr"
