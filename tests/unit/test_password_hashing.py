"""Passwords are hashed with argon2id at RFC 9106's low-memory parameters in production (the
rest of the suite hashes with argon2's cheapest profile, for speed)."""

from __future__ import annotations

import argon2.profiles
import pytest
from argon2 import extract_parameters

from app.staff import passwords


@pytest.fixture
def production_hashing():
    passwords.use_parameters(passwords.PRODUCTION_PARAMETERS)
    yield
    passwords.use_parameters(argon2.profiles.CHEAPEST)


def test_production_hashes_are_argon2id_at_64_mib_and_three_passes(production_hashing):
    stored = passwords.hash_password("correct horse battery")
    parameters = extract_parameters(stored)
    assert stored.startswith("$argon2id$")
    assert (parameters.memory_cost, parameters.time_cost) == (64 * 1024, 3)
    assert parameters == passwords.PRODUCTION_PARAMETERS
    assert passwords.verify(stored, "correct horse battery")
    assert not passwords.verify(stored, "correct horse batterie")
    assert not passwords.verify(None, "correct horse battery")  # no account: still checked
    assert not passwords.needs_rehash(stored)


def test_a_hash_made_with_weaker_parameters_asks_to_be_rehashed(production_hashing):
    weak = argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST).hash("mot de passe!")
    assert passwords.verify(weak, "mot de passe!")
    assert passwords.needs_rehash(weak)
