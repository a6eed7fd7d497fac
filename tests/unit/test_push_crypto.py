"""Web push cryptography: RFC 8291's worked example as a known answer (Appendix A, the
example of §5), and the VAPID header (RFC 8292) as a push service reads it."""

from __future__ import annotations

import base64
import json

import http_ece
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from app.push.encryption import b64url_decode, encrypt_payload
from app.push.subscriptions import parse_subscription
from app.push.vapid import authorization, keys_from_private, keys_from_setting
from app.settings import Settings
from tests.instant import FIXED_NOW

# RFC 8291, Appendix A.
PLAINTEXT = b"When I grow up, I want to be a watermelon"
AS_PRIVATE = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
UA_PRIVATE = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
UA_PUBLIC = (
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
)
AUTH = "BTBZMqHH6r4Tts7J_aSIgg"
SALT = "DGv6ra1nlYgDCS1FRnbzlw"
BODY = (
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYW"
    "AmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSx"
    "sj_Qulcy4a-fN"
)


def private_key(b64: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(b64url_decode(b64), "big"), ec.SECP256R1())


def test_rfc_8291_worked_example_is_reproduced_byte_for_byte() -> None:
    body = encrypt_payload(
        PLAINTEXT,
        UA_PUBLIC,
        AUTH,
        sender_key=private_key(AS_PRIVATE),
        salt=b64url_decode(SALT),
    )
    assert body == b64url_decode(BODY)


def test_the_browser_reads_what_we_encrypt() -> None:
    body = encrypt_payload("Rendez-vous confirmé".encode(), UA_PUBLIC, AUTH)
    assert body != encrypt_payload("Rendez-vous confirmé".encode(), UA_PUBLIC, AUTH)  # fresh
    clear = http_ece.decrypt(
        body,
        private_key=private_key(UA_PRIVATE),
        auth_secret=b64url_decode(AUTH),
        version="aes128gcm",
    )
    assert clear.decode() == "Rendez-vous confirmé"


def _claims(header: str) -> dict:
    token = header.split("t=", 1)[1].split(",", 1)[0]
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_vapid_token_names_the_push_service_and_expires_within_a_day() -> None:
    keys = keys_from_private(ec.generate_private_key(ec.SECP256R1()))
    now = FIXED_NOW.timestamp()  # authorization() takes the instant; no push service here
    header = authorization(
        keys, "https://fcm.googleapis.com/fcm/send/abc?x=1", "mailto:mairie@example.fr", now
    )
    assert header.startswith("vapid t=") and f"k={keys.public_key}" in header
    claims = _claims(header)
    assert claims["aud"] == "https://fcm.googleapis.com"
    assert now < claims["exp"] <= now + 24 * 3600
    assert claims["sub"] == "mailto:mairie@example.fr"


def test_a_vapid_key_given_by_the_environment_is_used_as_is() -> None:
    generated = keys_from_private(private_key(AS_PRIVATE))
    assert keys_from_setting(AS_PRIVATE) == generated
    assert keys_from_setting(generated.private_pem) == generated
    assert AS_PRIVATE not in repr(
        Settings.from_env(
            {"CRENEAU_VAPID_PRIVATE_KEY": AS_PRIVATE, "CRENEAU_DATA_DIR": "/tmp/creneau-x"}
        )
    )
    assert "PRIVATE" not in repr(generated)


def test_push_contact_defaults_to_the_sender_address() -> None:
    settings = Settings.from_env({"CRENEAU_DATA_DIR": "/tmp/creneau-x"})
    assert settings.push_subject == "mailto:ne-pas-repondre@creneau.invalid"
    custom = Settings.from_env(
        {"CRENEAU_DATA_DIR": "/tmp/creneau-x", "CRENEAU_VAPID_SUBJECT": "https://mairie.fr"}
    )
    assert custom.push_subject == "https://mairie.fr"


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "texte",
        {"endpoint": "https://push.example/x"},
        {"endpoint": "ftp://push.example/x", "keys": {"p256dh": UA_PUBLIC, "auth": AUTH}},
        {"endpoint": "https://push.example/x", "keys": {"p256dh": AUTH, "auth": AUTH}},
        {"endpoint": "https://push.example/x", "keys": {"p256dh": UA_PUBLIC, "auth": UA_PUBLIC}},
        {
            "endpoint": "https://push.example/" + "x" * 1000,
            "keys": {"p256dh": UA_PUBLIC, "auth": AUTH},
        },
    ],
)
def test_a_malformed_subscription_is_refused(raw) -> None:
    assert parse_subscription(raw) is None


def test_a_browser_subscription_is_accepted() -> None:
    raw = {
        "endpoint": "https://push.example/x",
        "expirationTime": None,
        "keys": {"p256dh": UA_PUBLIC, "auth": AUTH},
    }
    parsed = parse_subscription(raw)
    assert parsed is not None and parsed.p256dh == UA_PUBLIC
