"""Calendar passwords at rest, and addresses typed by staff."""

from __future__ import annotations

import pytest

from app.calendar_sync.client import normalise_url
from app.calendar_sync.credentials import (
    CredentialsUnreadable,
    decrypt_password,
    encrypt_password,
)

KEY = "une-clé-secrète-assez-longue-pour-les-tests-0123456789"


def test_a_password_round_trips_and_is_not_readable_at_rest():
    stored = encrypt_password(KEY, "mot de passe é ✓")
    assert "mot de passe" not in stored
    assert decrypt_password(KEY, stored) == "mot de passe é ✓"
    assert encrypt_password(KEY, "x") != encrypt_password(KEY, "x")  # random IV


def test_another_secret_key_cannot_read_it():
    stored = encrypt_password(KEY, "secret")
    with pytest.raises(CredentialsUnreadable):
        decrypt_password(KEY + "-changée", stored)


@pytest.mark.parametrize(
    ("typed", "url"),
    [
        ("cal.mairie.example", "https://cal.mairie.example/"),
        (" https://cal.mairie.example/dav/ ", "https://cal.mairie.example/dav/"),
        ("http://127.0.0.1:5232", "http://127.0.0.1:5232/"),
        ("https://agent:motdepasse@cal.mairie.example/", "https://cal.mairie.example/"),
    ],
)
def test_addresses_are_normalised_without_credentials(typed, url):
    assert normalise_url(typed) == url
