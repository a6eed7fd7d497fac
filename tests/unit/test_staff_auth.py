"""Pure pieces of the staff side: where a login may send back to, role order, the
login delays and their French message, password rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.staff.passwords import password_problem
from app.staff.roles import Role, at_least
from app.staff.throttle import delay_after, wait_message
from app.web.staff.auth import safe_return_path


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        (None, "/admin"),
        ("", "/admin"),
        ("/admin/planning?jour=2026-12-01", "/admin/planning?jour=2026-12-01"),
        ("/admin", "/admin"),
        ("/administration", "/admin"),
        ("/rendez-vous/type", "/admin"),
        ("https://evil.example/admin", "/admin"),
        ("//evil.example/admin", "/admin"),
        ("/admin/../rendez-vous", "/admin"),
        ("/admin\\@evil.example", "/admin"),
        ("/admin/\nLocation: x", "/admin"),
        ("/admin/connexion?suite=/admin", "/admin"),
    ],
)
def test_the_return_path_stays_in_the_back_office(asked, expected):
    assert safe_return_path(asked) == expected


def test_roles_are_ordered():
    assert at_least("admin", "agent") and at_least("agent", "agent")
    assert not at_least("viewer", "agent") and not at_least("agent", "admin")
    assert not at_least("superuser", "viewer")
    assert Role("viewer") is Role.VIEWER


def test_the_wait_is_said_in_seconds_under_a_minute_then_in_whole_minutes():
    assert "réessayez dans 15 minutes," in wait_message(timedelta(minutes=14, seconds=1))
    assert "réessayez dans 2 minutes," in wait_message(timedelta(seconds=61))
    assert "réessayez dans 1 minute," in wait_message(timedelta(seconds=60))
    assert "réessayez dans 59 secondes," in wait_message(timedelta(seconds=58, microseconds=1))
    assert "réessayez dans 1 seconde," in wait_message(timedelta(milliseconds=10))


def test_the_delay_doubles_after_the_free_failures_up_to_the_ceiling():
    waits = [delay_after(failures, 5).total_seconds() for failures in range(1, 13)]
    assert waits == [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]
    assert delay_after(10_000, 5) == timedelta(minutes=15)


def test_password_rules():
    assert password_problem("a" * 11) == "Le mot de passe doit compter au moins 12 caractères."
    assert password_problem(" " * 12) == "Le mot de passe ne peut pas être fait que d'espaces."
    assert "identiques" in password_problem("a" * 12, "b" * 12)
    assert password_problem("une phrase assez longue", "une phrase assez longue") is None
