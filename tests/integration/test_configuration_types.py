"""An administrator creates, edits and deactivates appointment types."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.db.models import AppointmentType, Desk, Site
from tests.integration.config_helpers import admin, audit_actions, post_form, summary_messages
from tests.integration.flow import CONTACT, book, type_ids
from tests.integration.helpers import bookings, fetch, text_of

BASE = "/admin/configuration/types"
NEW = f"{BASE}/nouveau"


def town_hall(settings) -> tuple[Site, list[Desk]]:
    site = fetch(settings, select(Site).options(selectinload(Site.desks)).order_by(Site.id))[0]
    return site, site.desks


def valid_form(settings, **changes: str) -> dict[str, object]:
    site, desks = town_hall(settings)
    form: dict[str, object] = {
        "site_id": str(site.id),
        "title": "Recensement citoyen",
        "service": "Affaires générales",
        "description_md": "Pour les jeunes de **16 ans**. <script>alert(1)</script>"
        " [piège](javascript:alert(1))",
        "gdpr_md": "Vos données servent au *recensement* seulement.",
        "what_to_bring": "Pièce d'identité et livret de famille.",
        "slot_minutes": "20",
        "max_people": "2",
        "capacity": "2",
        "staff_reserved_places": "1",
        "min_delay_minutes": "60",
        "horizon_days": "30",
        "limit_bookings": "1",
        "limit_period_days": "30",
        "hold_minutes": "10",
        "cooldown_minutes": "0",
        "desks": [str(desks[0].id)],
        "extra_label_0": "Date de naissance",
        "extra_hint_0": "JJ/MM/AAAA",
        "extra_kind_0": "date",
        "extra_required_0": "1",
        "extra_name_0": "",
        "extra_label_1": "",
        "extra_kind_1": "text",
        "extra_name_1": "",
        "active": "1",
    }
    form.update(changes)
    return form


def the_type(settings, title: str = "Recensement citoyen") -> AppointmentType | None:
    found = fetch(
        settings,
        select(AppointmentType)
        .where(AppointmentType.title == title)
        .options(selectinload(AppointmentType.desks)),
    )
    return found[0] if found else None


def test_a_created_type_is_offered_to_citizens_with_its_texts_sanitised(client, settings):
    admin(client, settings)
    answer = post_form(client, NEW, valid_form(settings))
    assert answer.status_code == 303, summary_messages(answer.text)
    listing = client.get(answer.headers["location"]).text
    assert "Le type de rendez-vous est créé." in text_of(listing)
    assert "Recensement citoyen" in listing

    created = the_type(settings)
    assert created.slot_minutes == 20 and created.staff_reserved_places == 1
    assert created.description_md.startswith("Pour les jeunes de **16 ans**.")
    assert "<strong>16 ans</strong>" in created.description_html
    assert "<script" not in created.description_html
    assert "javascript:" not in created.description_html.replace("(javascript:alert(1))", "")
    assert created.extra_fields == [
        {
            "name": "date_de_naissance",
            "label": "Date de naissance",
            "required": True,
            "hint": "JJ/MM/AAAA",
            "kind": "date",
        }
    ]
    assert "type.created" in audit_actions(settings)

    ids = type_ids(client.get("/rendez-vous/type").text)
    assert "Recensement citoyen" in ids


def test_invalid_values_create_nothing_and_are_shown_back(client, settings):
    admin(client, settings)
    _, desks = town_hall(settings)
    social_desk = fetch(settings, select(Desk).order_by(Desk.id.desc()))[0]
    answer = post_form(
        client,
        NEW,
        valid_form(
            settings,
            title="",
            slot_minutes="-5",
            max_people="3",
            capacity="2",
            staff_reserved_places="4",
            horizon_days="douze",
            desks=[str(social_desk.id)],
        ),
    )
    assert answer.status_code == 422
    messages = summary_messages(answer.text)
    assert "Saisissez le titre du rendez-vous." in messages
    assert any("durée d'un rendez-vous" in m and "en chiffres" in m for m in messages)
    assert any("dépasse la capacité" in m for m in messages)
    assert any("places réservées au personnel ne peuvent pas dépasser" in m for m in messages)
    assert any("horizon de réservation" in m for m in messages)
    assert any("seulement des guichets du lieu" in m for m in messages)
    assert 'value="douze"' in answer.text  # what was typed stays
    assert "Pour les jeunes de **16 ans**." in answer.text
    assert the_type(settings) is None
    assert "type.created" not in audit_actions(settings)


def test_deactivating_a_type_with_bookings_says_they_stay_valid(client, settings, citizen):
    book(citizen, "CCAS — aide sociale")
    admin(client, settings)
    ccas = the_type(settings, "CCAS — aide sociale")
    answer = post_form(client, f"{BASE}/{ccas.id}/activation", {"actif": "0"}, form_path=BASE)
    assert answer.status_code == 303
    listing = text_of(client.get(answer.headers["location"]).text)
    assert "Le type de rendez-vous est désactivé" in listing
    assert "1 rendez-vous déjà pris reste valable : il aura lieu comme prévu." in listing
    assert [b.status for b in bookings(settings)] == ["confirmed"]
    assert "CCAS — aide sociale" not in type_ids(client.get("/rendez-vous/type").text)

    again = post_form(client, f"{BASE}/{ccas.id}/activation", {"actif": "1"}, form_path=BASE)
    assert "?fait=active" in again.headers["location"]
    assert "CCAS — aide sociale" in type_ids(client.get("/rendez-vous/type").text)
    assert audit_actions(settings)[-2:] == ["type.deactivated", "type.activated"]


def test_editing_keeps_existing_extra_fields_and_adds_new_ones(client, settings, citizen):
    admin(client, settings)
    passport = the_type(settings, "Carte d'identité / passeport")
    form_page = client.get(f"{BASE}/{passport.id}").text
    assert 'value="predemande"' in form_page  # the hidden name of the existing field
    form = valid_form(
        settings,
        title="Carte d'identité / passeport",
        max_people="4",
        capacity="1",
        staff_reserved_places="0",
        duration_per_person="1",
        extra_label_0="Numéro de pré-demande",
        extra_name_0="predemande",
        extra_kind_0="text",
        extra_required_0="",
        extra_label_1="Ville de naissance",
        extra_kind_1="text",
        extra_required_1="1",
    )
    form["desks"] = [str(d.id) for d in passport.desks]
    answer = post_form(client, f"{BASE}/{passport.id}", form)
    assert answer.status_code == 303, summary_messages(answer.text)
    edited = the_type(settings, "Carte d'identité / passeport")
    assert [f["name"] for f in edited.extra_fields] == ["predemande", "ville_de_naissance"]
    assert edited.slot_minutes == 20

    ids = type_ids(citizen.get("/rendez-vous/type").text)
    citizen.submit("/rendez-vous/type", {"type_id": str(ids["Carte d'identité / passeport"])})
    citizen.submit("/rendez-vous/informations", {})
    citizen.submit("/rendez-vous/personnes", {"people": "1"})
    step4 = citizen.submit("/rendez-vous/coordonnees", CONTACT)
    assert "Renseignez le champ « Ville de naissance »." in text_of(step4.text)
    assert re.search(r'name="extra_ville_de_naissance"', step4.text)


def test_a_forged_hidden_field_name_is_replaced_by_one_made_from_the_label(client, settings):
    admin(client, settings)
    form = valid_form(settings, extra_name_0='nom inventé"><b>')
    answer = post_form(client, NEW, form)
    assert answer.status_code == 303, summary_messages(answer.text)
    assert [f["name"] for f in the_type(settings).extra_fields] == ["date_de_naissance"]


def test_removing_a_desk_with_bookings_from_a_type_asks_then_cancels_them(
    client, settings, citizen
):
    book(citizen, "Urbanisme — permis de construire")
    booking = bookings(settings)[0]
    admin(client, settings)
    urbanism = the_type(settings, "Urbanisme — permis de construire")
    other_desk = next(d for d in urbanism.desks if d.id != booking.desk_id)
    form = valid_form(
        settings,
        title=urbanism.title,
        max_people="1",
        capacity="1",
        staff_reserved_places="0",
    )
    form["desks"] = [str(other_desk.id)]  # the booking's desk is taken off the type

    asked = post_form(client, f"{BASE}/{urbanism.id}", form)
    assert asked.status_code == 409
    page = text_of(asked.text)
    assert "Des rendez-vous sont pris sur les guichets retirés" in page
    assert booking.reference in page
    assert {d.id for d in the_type(settings, urbanism.title).desks} == {
        d.id for d in urbanism.desks
    }  # nothing changed yet
    assert f'name="desks" value="{other_desk.id}"' in asked.text  # the change is carried

    done = post_form(
        client,
        f"{BASE}/{urbanism.id}",
        {**form, "decision": "annuler", "orphelins": str(booking.id)},
        form_path=f"{BASE}/{urbanism.id}",
    )
    assert done.status_code == 303
    assert [d.id for d in the_type(settings, urbanism.title).desks] == [other_desk.id]
    assert bookings(settings)[0].status == "cancelled"
