"""Mail, SMS, reminder and debug settings come from the environment; secrets never show."""

import pytest

from app.settings import ConfigurationError, Settings


def test_defaults_write_messages_to_the_data_folder(tmp_path):
    settings = Settings.from_env({"CRENEAU_DATA_DIR": str(tmp_path)})
    assert settings.mail.host == ""  # no SMTP: .eml files in the mailbox
    assert settings.sms.provider == ""  # no operator: SMS files in the mailbox
    assert settings.debug is False  # /_dev/mail off unless asked
    assert settings.embedded_worker is True
    assert settings.reminder_hour == 10
    assert settings.base_url == "http://127.0.0.1:8000"


def test_smtp_and_operator_settings_are_read_and_secrets_hidden(tmp_path):
    settings = Settings.from_env(
        {
            "CRENEAU_DATA_DIR": str(tmp_path),
            "CRENEAU_SMTP_HOST": "smtp.example.fr",
            "CRENEAU_SMTP_SECURITY": "tls",
            "CRENEAU_SMTP_USERNAME": "creneau",
            "CRENEAU_SMTP_PASSWORD": "smtp-password-secret",
            "CRENEAU_MAIL_FROM": "Mairie <rdv@mairie.example.fr>",
            "CRENEAU_SMS_PROVIDER": "ovh",
            "CRENEAU_OVH_APPLICATION_KEY": "ovh-application-key",
            "CRENEAU_OVH_APPLICATION_SECRET": "ovh-secret-value",
            "CRENEAU_OVH_CONSUMER_KEY": "ovh-consumer-value",
            "CRENEAU_OVH_SERVICE_NAME": "sms-ab12345-1",
            "CRENEAU_BREVO_API_KEY": "brevo-key-value",
            "CRENEAU_SMS_WEBHOOK_SECRET": "webhook-secret-value",
            "CRENEAU_REMINDER_HOUR": "18",
            "CRENEAU_DEBUG": "1",
            "CRENEAU_PUBLIC_URL": "https://rdv.mairie.example.fr/",
        }
    )
    assert (settings.mail.host, settings.mail.port, settings.mail.security) == (
        "smtp.example.fr",
        465,
        "tls",
    )
    assert settings.mail.password == "smtp-password-secret"
    assert settings.sms.provider == "ovh"
    assert settings.reminder_hour == 18 and settings.debug is True
    assert settings.base_url == "https://rdv.mairie.example.fr"
    shown = repr(settings)
    for secret in (
        "smtp-password-secret",
        "ovh-secret-value",
        "ovh-consumer-value",
        "brevo-key-value",
        "webhook-secret-value",
    ):
        assert secret not in shown


def test_starttls_is_the_default_on_port_587(tmp_path):
    settings = Settings.from_env({"CRENEAU_DATA_DIR": str(tmp_path), "CRENEAU_SMTP_HOST": "mx"})
    assert (settings.mail.security, settings.mail.port) == ("starttls", 587)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CRENEAU_SMTP_SECURITY", "ssl", "CRENEAU_SMTP_SECURITY doit valoir"),
        ("CRENEAU_SMS_PROVIDER", "twilio", "CRENEAU_SMS_PROVIDER doit valoir"),
        ("CRENEAU_REMINDER_HOUR", "25", "CRENEAU_REMINDER_HOUR doit être"),
    ],
)
def test_wrong_values_are_refused_in_french(tmp_path, name, value, message):
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env({"CRENEAU_DATA_DIR": str(tmp_path), name: value})


def test_a_wildcard_bind_address_still_gives_usable_links(tmp_path):
    settings = Settings.from_env(
        {"CRENEAU_DATA_DIR": str(tmp_path), "HOST": "0.0.0.0", "PORT": "8080"}
    )
    assert settings.base_url == "http://127.0.0.1:8080"
