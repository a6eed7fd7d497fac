"""Administrators edit sites (time zone checked) and closures; a closure over booked days
lists the bookings and asks whether to keep or cancel them — never drops them silently."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.db.models import AuditEvent, Booking, Closure, Desk, OutboxMessage, Site
from app.staff.roles import Role
from tests.days import TODAY
from tests.integration.changes_helpers import book_one
from tests.integration.helpers import fetch, text_of
from tests.integration.staff_helpers import create_staff, csrf_token, logged_in

BASE = "/admin/configuration/sites"


@pytest.fixture
def admin_client(client, settings):
    """The citizen's client, logged in as an administrator too (the cookies' paths differ;
    one client keeps one event loop, as PostgreSQL's connection pool requires)."""
    return logged_in(client, create_staff(settings, Role.ADMIN))


def test_a_site_is_created_with_a_valid_time_zone_only(admin_client, settings):
    token = csrf_token(admin_client, f"{BASE}/nouveau")
    refused = admin_client.post(
        f"{BASE}/nouveau",
        data={
            "_csrf_token": token,
            "name": "Mairie annexe",
            "address": "1 rue Haute",
            "timezone": "Europe/Lutece",
        },
    )
    assert refused.status_code == 422
    assert "Fuseau horaire inconnu" in text_of(refused.text)
    assert 'value="Mairie annexe"' in refused.text and 'value="Europe/Lutece"' in refused.text
    created = admin_client.post(
        f"{BASE}/nouveau",
        data={
            "_csrf_token": token,
            "name": "Mairie annexe",
            "address": "1 rue Haute",
            "timezone": "America/Martinique",
        },
    )
    assert "Le site est créé." in text_of(created.text)
    site = fetch(settings, select(Site).where(Site.name == "Mairie annexe"))[0]
    assert site.timezone == "America/Martinique"
    listing = text_of(admin_client.get(BASE).text)
    assert "Mairie annexe" in listing and "America/Martinique" in listing
    assert fetch(settings, select(AuditEvent.action).where(AuditEvent.action == "site.created"))


def _site_of(settings, booking: Booking) -> Site:
    desk = fetch(settings, select(Desk).where(Desk.id == booking.desk_id))[0]
    return fetch(settings, select(Site).where(Site.id == desk.site_id))[0]


def _close_day(admin_client, site: Site, booking: Booking, **extra: str):
    day = booking.start.astimezone(ZoneInfo(site.timezone)).date().isoformat()
    token = csrf_token(admin_client, f"{BASE}/{site.id}")
    return admin_client.post(
        f"{BASE}/{site.id}/fermetures",
        data={
            "_csrf_token": token,
            "first_day": day,
            "last_day": day,
            "label": "Inventaire",
            **extra,
        },
    )


def test_closing_a_booked_day_asks_first_then_keeps_the_bookings(admin_client, citizen, settings):
    booking = book_one(citizen, settings)
    site = _site_of(settings, booking)
    asked = _close_day(admin_client, site, booking)
    assert asked.status_code == 409
    page = text_of(asked.text)
    assert "Rien n'est encore fermé." in page
    assert booking.reference in page
    assert fetch(settings, select(Closure).where(Closure.label == "Inventaire")) == []
    # the table scrolls sideways on a phone: keyboard users can reach it (axe)
    assert 'class="tableau-defilant" role="region"' in asked.text and 'tabindex="0"' in asked.text
    kept = _close_day(admin_client, site, booking, decision="garder")
    assert "rendez-vous déjà pris ces jours-là sont maintenus" in text_of(kept.text)
    assert fetch(settings, select(Closure).where(Closure.label == "Inventaire"))
    status = fetch(settings, select(Booking.status).where(Booking.id == booking.id))
    assert status == ["confirmed"]


def test_closing_a_booked_day_can_cancel_and_notify(admin_client, citizen, settings):
    booking = book_one(citizen, settings)
    site = _site_of(settings, booking)
    done = _close_day(admin_client, site, booking, decision="annuler")
    assert "rendez-vous de ces jours sont annulés" in text_of(done.text)
    stored = fetch(settings, select(Booking).where(Booking.id == booking.id))[0]
    assert stored.status == "cancelled" and stored.sequence == booking.sequence + 1
    kinds = fetch(
        settings,
        select(OutboxMessage.kind).where(
            OutboxMessage.booking_id == booking.id, OutboxMessage.channel == "email"
        ),
    )
    assert "booking_cancelled" in kinds
    actions = fetch(settings, select(AuditEvent.action))
    assert "booking.cancelled" in actions and "site.closed" in actions


def test_a_closure_without_bookings_and_its_removal(admin_client, settings):
    site = fetch(settings, select(Site).order_by(Site.id))[0]
    first = TODAY + timedelta(weeks=13)  # a few months ahead, no booking then
    token = csrf_token(admin_client, f"{BASE}/{site.id}")
    bad = admin_client.post(
        f"{BASE}/{site.id}/fermetures",
        data={
            "_csrf_token": token,
            "first_day": (first + timedelta(days=9)).isoformat(),
            "last_day": first.isoformat(),
        },
    )
    assert bad.status_code == 422
    assert "Le dernier jour doit être le même que le premier ou après." in text_of(bad.text)
    added = admin_client.post(
        f"{BASE}/{site.id}/fermetures",
        data={
            "_csrf_token": token,
            "first_day": f"{first:%d/%m/%Y}",  # typed the French way
            "last_day": (first + timedelta(days=4)).isoformat(),
            "label": "Travaux",
        },
    )
    assert "La fermeture est enregistrée." in text_of(added.text)
    closure = fetch(settings, select(Closure).where(Closure.label == "Travaux"))[0]
    removed = admin_client.post(
        f"{BASE}/{site.id}/fermetures/{closure.id}/supprimer", data={"_csrf_token": token}
    )
    assert "La fermeture est supprimée." in text_of(removed.text)
    assert fetch(settings, select(Closure).where(Closure.label == "Travaux")) == []


def test_a_closure_in_year_9999_or_year_1_is_refused_in_french(admin_client, settings):
    site = fetch(settings, select(Site).order_by(Site.id))[0]
    token = csrf_token(admin_client, f"{BASE}/{site.id}")
    for day in ("31/12/9999", "0001-01-01"):
        refused = admin_client.post(
            f"{BASE}/{site.id}/fermetures",
            data={"_csrf_token": token, "first_day": day, "last_day": day, "label": "Faute"},
        )
        assert refused.status_code == 422
        assert "Indiquez le premier jour de fermeture (jj/mm/aaaa)." in text_of(refused.text)
        assert f'value="{day}"' in refused.text
    assert fetch(settings, select(Closure).where(Closure.label == "Faute")) == []
