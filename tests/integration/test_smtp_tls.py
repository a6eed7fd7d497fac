"""SMTP over STARTTLS and over implicit TLS, with a login, against aiosmtpd on 127.0.0.1
(certificate made by openssl for the test, trusted through CRENEAU_SMTP_CA_FILE)."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from dataclasses import replace
from email.message import EmailMessage
from email.policy import SMTP

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from app.notifications.delivery import send_smtp
from app.settings import MailSettings
from tests.integration.mail_helpers import MailHandler, free_port

pytestmark = pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is not installed")

USER, PASSWORD = "creneau", "mot-de-passe-smtp"


@pytest.fixture
def certificate(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


def authenticator(server, session, envelope, mechanism, auth_data):
    return AuthResult(
        success=auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    )


def message() -> bytes:
    mail = EmailMessage(policy=SMTP)
    mail["From"] = "rendez-vous@val-de-lys.example.fr"
    mail["To"] = "camille@example.org"
    mail["Subject"] = "Test TLS"
    mail["Message-ID"] = "<tls@test.invalid>"
    mail.set_content("Bonjour")
    return bytes(mail)


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_login_over_tls(certificate, security):
    cert, context = certificate
    handler = MailHandler()
    port = free_port()
    options = {"authenticator": authenticator, "auth_require_tls": True}
    if security == "starttls":
        options.update(tls_context=context, require_starttls=True)
    else:
        # Implicit TLS: encrypted from the first byte. aiosmtpd does not count that as TLS
        # for its AUTH rule (it only knows STARTTLS), so that rule is lifted here.
        options.update(ssl_context=context, auth_require_tls=False)
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        mail = MailSettings(
            host="127.0.0.1",
            port=port,
            security=security,
            username=USER,
            password=PASSWORD,
            from_address="Mairie <rendez-vous@val-de-lys.example.fr>",
            ca_file=str(cert),
            timeout_seconds=10,
        )
        asyncio.run(send_smtp(mail, "camille@example.org", message()))
        assert [r.message["Message-ID"] for r in handler.received] == ["<tls@test.invalid>"]
        # Without trusting the certificate, nothing is sent in clear.
        with pytest.raises(Exception, match="(?i)certificate|ssl"):
            asyncio.run(send_smtp(replace(mail, ca_file=""), "camille@example.org", message()))
        assert len(handler.received) == 1
    finally:
        controller.stop()
