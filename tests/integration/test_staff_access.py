"""The authorisation matrix of the back office: every route under /admin, found in the
application's route table, for an anonymous visitor and for each role.

- anonymous: GET → 303 to the login page; any other method → 403;
- a role below the handler's opt["role"] → 403, the French « Accès refusé » page, no data;
- a role at or above it → neither 401 nor 403 (and no server error).

A /admin handler without opt["role"] fails, unless it is one of the pages anybody must
reach (login, logout, password links), listed in PUBLIC. Routes added later are checked
without editing this file; only a new path parameter needs a sample value in SAMPLES.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from app.db.models import AppointmentType, Booking, Closure, Desk, OpeningRule, Site, StaffUser
from app.settings import Settings
from app.staff.roles import RANK, Role
from tests.conftest import Citizen
from tests.days import TODAY
from tests.integration.changes_helpers import book_one
from tests.integration.helpers import fetch
from tests.integration.staff_helpers import (
    LOGIN,
    create_staff,
    csrf_token,
    logged_in,
)

PUBLIC = {
    "/admin/connexion",
    "/admin/deconnexion",
    "/admin/mot-de-passe-oublie",
    "/admin/reinitialiser/{token:str}",
}
SKIPPED_METHODS = {"OPTIONS", "HEAD"}
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def _first_id(model: Any) -> Callable[[Settings], Any]:
    def value(settings: Settings) -> Any:
        found = fetch(settings, select(model.id).order_by(model.id).limit(1))
        return found[0] if found else 999999

    return value


def _first_reference(settings: Settings) -> str:
    found = fetch(settings, select(Booking.reference).order_by(Booking.id).limit(1))
    return found[0] if found else "AUCUNE"


def _a_booking(settings: Settings) -> int:
    """A confirmed future booking at the commune's first site (the agents' site here), so the
    booking pages run with data rather than answering 404."""
    from datetime import timedelta

    from sqlalchemy import insert

    from app.booking.references import new_reference, new_uid
    from tests.conftest import FIXED_NOW
    from tests.integration.helpers import execute

    found = fetch(settings, select(Booking.id).order_by(Booking.id).limit(1))
    if found:
        return found[0]
    first_site = fetch(settings, select(Site.id).order_by(Site.id).limit(1))[0]
    desk = fetch(settings, select(Desk).where(Desk.site_id == first_site).order_by(Desk.id))[0]
    type_id = fetch(
        settings, select(AppointmentType.id).where(AppointmentType.site_id == first_site)
    )[0]
    start = FIXED_NOW + timedelta(days=2)
    execute(
        settings,
        insert(Booking).values(
            reference=new_reference(),
            uid=new_uid("test.invalid"),
            type_id=type_id,
            desk_id=desk.id,
            start=start,
            end=start + timedelta(minutes=30),
            people=1,
            last_name="Témoin",
            first_name="Rendez-vous",
            email="temoin@example.org",
            phone="+33612345678",
            extra={},
            idempotency_key="access-matrix",
            created_at=FIXED_NOW,
        ),
    )
    return fetch(settings, select(Booking.id).order_by(Booking.id).limit(1))[0]


def _throwaway_staff(settings: Settings) -> int:
    """An agent nobody logs in as: what a POST does to it does not disturb the test."""
    return create_staff(settings, Role.AGENT, name="Compte témoin").id


# Path parameter name → a sample value, or a function of the test settings giving one (the
# database holds the demo commune and one citizen's booking, see `seeded`). Other areas add
# their own parameters here.
SAMPLES: dict[str, Any] = {
    "token": "jeton-de-test",
    "site_id": _first_id(Site),
    "desk_id": _first_id(Desk),
    "type_id": _first_id(AppointmentType),
    "closure_id": _first_id(Closure),
    "booking_id": _a_booking,
    "staff_id": _throwaway_staff,
    "reference": _first_reference,
    "day": TODAY.isoformat(),
    "week": "{}-W{:02d}".format(*TODAY.isocalendar()[:2]),
    "rule_id": _first_id(OpeningRule),
}


def admin_routes(app) -> list[tuple[str, str, Any]]:
    """(path template, method, handler) of every /admin route, except OPTIONS/HEAD."""
    found = []
    for route in app.routes:
        if not route.path.startswith("/admin"):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods - SKIPPED_METHODS):
                found.append((route.path, method, handler))
    return sorted(found, key=lambda item: (item[0], item[1]))


def concrete_path(template: str, settings: Settings, cache: dict[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in cache:
            assert name in SAMPLES, (
                f"{template}: add a sample value for the path parameter {name!r} to SAMPLES "
                "in tests/integration/test_staff_access.py"
            )
            sample = SAMPLES[name]
            cache[name] = sample(settings) if callable(sample) else sample
        return str(cache[name])

    return PARAM.sub(replace, template)


def guarded(app) -> list[tuple[str, str, str]]:
    return [
        (path, method, handler.opt["role"])
        for path, method, handler in admin_routes(app)
        if path not in PUBLIC
    ]


def send(client: TestClient, method: str, path: str, token: str | None):
    data = {"_csrf_token": token} if token else {}
    if method == "GET":
        return client.get(path, follow_redirects=False)
    return client.request(method, path, data=data, follow_redirects=False)


def test_every_admin_handler_declares_its_role(app):
    missing = [
        f"{method} {path}"
        for path, method, handler in admin_routes(app)
        if path not in PUBLIC and handler.opt.get("role") not in {role.value for role in Role}
    ]
    assert admin_routes(app), "no /admin route found"
    assert not missing, 'these /admin handlers declare no opt={"role": ...}: ' + ", ".join(missing)


def test_every_admin_handler_has_a_staff_guard(app):
    from app.web.staff.auth import admins_only, agents_only, staff_only

    staff_guards = {staff_only, agents_only, admins_only}
    unguarded = [
        f"{method} {path}"
        for path, method, handler in admin_routes(app)
        if path not in PUBLIC and not staff_guards & set(handler.resolve_guards())
    ]
    assert not unguarded, "these /admin handlers have no staff guard: " + ", ".join(unguarded)


@pytest.fixture
def seeded(client, settings):
    """The demo commune with one confirmed booking, made by a citizen through the pages."""
    return book_one(Citizen(client), settings)


def test_anonymous_visitors_are_sent_to_login_or_refused(app, client, settings, seeded):
    cache: dict[str, Any] = {}
    token = csrf_token(client)  # a valid CSRF token: the refusal must come from the guard
    for template, method, _role in guarded(app):
        path = concrete_path(template, settings, cache)
        response = send(client, method, path, token)
        if method == "GET":
            assert response.status_code == 303, f"anonymous GET {path}: {response.status_code}"
            assert response.headers["location"].startswith(LOGIN), response.headers["location"]
        else:
            assert response.status_code == 403, f"anonymous {method} {path}: {response.status_code}"
            assert "Session expirée" in response.text
        assert seeded.reference not in response.text and seeded.last_name not in response.text


@pytest.mark.parametrize("role", [Role.VIEWER, Role.AGENT, Role.ADMIN])
def test_each_role_reaches_exactly_its_pages(app, client, settings, seeded, role):
    member = create_staff(settings, role, first_site=True)
    cache: dict[str, Any] = {}
    logged_in(client, member)
    token = csrf_token(client, "/admin/compte")
    checked = 0
    for template, method, required in guarded(app):
        path = concrete_path(template, settings, cache)
        response = send(client, method, path, token)
        label = f"{role.value} {method} {path} (needs {required})"
        if RANK[role] < RANK[Role(required)]:
            assert response.status_code == 403, f"{label}: {response.status_code}"
            assert "Accès refusé" in response.text, label
            assert seeded.reference not in response.text, label  # no data of the page
            assert seeded.last_name not in response.text, label
        else:
            assert response.status_code not in (401, 403), f"{label}: {response.status_code}"
            assert response.status_code < 500, f"{label}: {response.status_code}"
            if response.status_code == 303:
                location = response.headers["location"]
                assert not location.startswith(LOGIN), f"{label}: logged out ({location})"
        checked += 1
    assert checked


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(app, client, settings):
    member = create_staff(settings, Role.ADMIN)
    logged_in(client, member)
    before = fetch(settings, select(StaffUser.password_hash).where(StaffUser.id == member.id))
    response = client.post(
        "/admin/compte",
        data={
            "actuel": member.password,
            "nouveau": "un tout nouveau mot de passe",
            "confirmation": "un tout nouveau mot de passe",
        },
        follow_redirects=False,
    )
    assert response.status_code == 403
    after = fetch(settings, select(StaffUser.password_hash).where(StaffUser.id == member.id))
    assert after == before
