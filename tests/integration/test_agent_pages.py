"""The agents' daily work over HTTP (no JavaScript): planning, search, booking detail and
its actions, phone bookings — for an agent of the right site, an agent of another site,
a read-only viewer; on SQLite and PostgreSQL (TEST_DATABASE_URL)."""

from __future__ import annotations

import email
import re
from datetime import datetime, timedelta
from email import policy

import pytest
from sqlalchemy import insert, select

from app.db.models import (
    AppointmentType,
    AuditEvent,
    BlockedInterval,
    Booking,
    Desk,
    OutboxMessage,
    Site,
)
from app.staff.roles import Role
from app.web.static_files import static_url
from tests.conftest import CSRF_RE
from tests.days import MONDAY, TUESDAY, french_date, next_public_holiday, open_day, slot
from tests.integration.changes_helpers import book_at
from tests.integration.flow import slot_values
from tests.integration.helpers import URBANISM, bookings, execute, fetch, text_of, walk_to
from tests.integration.staff_helpers import create_staff, logged_in

TOWN_HALL = "Hôtel de ville"
SOCIAL = "Espace solidarité"
DAY = open_day(MONDAY)  # the day of the town hall's booking: an open Monday ahead


def site_id(settings, name: str) -> int:
    return fetch(settings, select(Site.id).where(Site.name == name))[0]


def type_id(settings, slug: str) -> int:
    return fetch(settings, select(AppointmentType.id).where(AppointmentType.slug == slug))[0]


def booking_of(settings, booking_id: int) -> Booking:
    return next(b for b in bookings(settings) if b.id == booking_id)


def emails_of(settings, booking_id: int) -> list[email.message.EmailMessage]:
    rows = fetch(
        settings,
        select(OutboxMessage)
        .where(OutboxMessage.booking_id == booking_id, OutboxMessage.channel == "email")
        .order_by(OutboxMessage.id),
    )
    return [email.message_from_string(r.payload["message"], policy=policy.default) for r in rows]


def audit_of(settings, booking_id: int) -> list[AuditEvent]:
    return fetch(
        settings,
        select(AuditEvent)
        .where(AuditEvent.target == f"booking:{booking_id}")
        .order_by(AuditEvent.id),
    )


class Staff:
    """One logged-in member of staff on the shared test client (one cookie jar: log in as
    someone else with `as_`)."""

    def __init__(self, client, settings) -> None:
        self.client, self.settings = client, settings

    def as_(self, member) -> Staff:
        self.client.cookies.clear()
        logged_in(self.client, member)
        return self

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def token(self, path: str = "/admin/rendez-vous") -> str:
        match = CSRF_RE.search(self.client.get(path).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post(self, path: str, data: dict[str, str], *, token_from: str = "/admin/rendez-vous"):
        return self.client.post(
            path, data={**data, "_csrf_token": self.token(token_from)}, follow_redirects=False
        )


@pytest.fixture
def town_hall_booking(citizen, settings) -> Booking:
    """A citizen's booking at the town hall: urbanism, 10:00 on an open Monday ahead."""
    booking = book_at(citizen, settings, slot(DAY, 10, 0), title=URBANISM)
    citizen.client.cookies.clear()
    return booking


@pytest.fixture
def agent(settings):
    return create_staff(settings, Role.AGENT, sites=[site_id(settings, TOWN_HALL)])


@pytest.fixture
def social_agent(settings):
    return create_staff(settings, Role.AGENT, sites=[site_id(settings, SOCIAL)])


@pytest.fixture
def viewer(settings):
    return create_staff(settings, Role.VIEWER)


@pytest.fixture
def staff(client, settings) -> Staff:
    return Staff(client, settings)


# --- planning -----------------------------------------------------------------------------


def test_the_day_planning_shows_bookings_free_places_and_absences(
    staff, agent, town_hall_booking, settings
):
    passport_desk = fetch(settings, select(Desk).where(Desk.name == "Guichet titres d'identité"))[0]
    execute(
        settings,
        insert(BlockedInterval).values(
            desk_id=passport_desk.id,
            start=datetime.fromisoformat(slot(DAY, 14, 0)),
            end=datetime.fromisoformat(slot(DAY, 17, 0)),
            label="Formation",
            source="manual",
        ),
    )
    page = staff.as_(agent).get(f"/admin/planning?jour={DAY}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Planning — Hôtel de ville" in text
    assert french_date(DAY).capitalize() in text  # « Lundi 7 décembre 2026 »
    assert "DUPONT Camille" in text and "Urbanisme — permis de construire" in text
    assert f'href="/admin/rendez-vous/{town_hall_booking.id}"' in page.text
    assert "Places libres" in text and "Carte d'identité / passeport" in text
    # The booked 10:00 is no longer free on the desk that took it, still free on the other.
    assert "10 h 30" in text
    assert "Guichet titres d'identité : de 14 h à 17 h (Formation)" in text
    passports = text.split("Carte d'identité / passeport —", 1)[1].split("Mariage")[0]
    assert "13 h 45" in passports and "14 h 15" not in passports  # absent in the afternoon
    assert 'class="pas-imprime' in page.text and static_url("css/agent.css") in page.text


def test_the_week_planning_and_its_navigation(staff, agent, town_hall_booking):
    wednesday = DAY + timedelta(days=2)
    page = staff.as_(agent).get(f"/admin/planning?vue=semaine&jour={wednesday}")
    text = text_of(page.text)
    sunday = DAY + timedelta(days=6)
    assert f"Semaine du {french_date(DAY)} au {french_date(sunday)}" in text
    assert "DUPONT Camille" in text
    assert f"vue=semaine&amp;jour={wednesday - timedelta(days=7)}" in page.text  # previous week
    assert f"vue=semaine&amp;jour={wednesday + timedelta(days=7)}" in page.text


def test_a_desk_filter_and_a_closed_day(staff, agent, town_hall_booking, settings):
    staff.as_(agent)
    desks = {d.name: d.id for d in fetch(settings, select(Desk).where(Desk.id > 0))}
    booked_desk = town_hall_booking.desk.name
    other_desk = next(n for n in desks if n.startswith("Urbanisme") and n != booked_desk)
    own = staff.get(f"/admin/planning?jour={DAY}&guichet={desks[booked_desk]}")
    assert "DUPONT Camille" in text_of(own.text)
    assert f"Planning — Hôtel de ville — {booked_desk}" in text_of(own.text)
    other = staff.get(f"/admin/planning?jour={DAY}&guichet={desks[other_desk]}")
    assert "DUPONT" not in other.text and "Aucun rendez-vous." in text_of(other.text)
    holiday = staff.get(f"/admin/planning?jour={next_public_holiday()}")
    assert "Site fermé : Jour férié." in text_of(holiday.text)
    assert "Aucun rendez-vous." in text_of(holiday.text)


def test_an_agent_never_sees_the_planning_of_another_site(
    staff, social_agent, town_hall_booking, settings
):
    staff.as_(social_agent)
    other = staff.get(f"/admin/planning?jour={DAY}&site={site_id(settings, TOWN_HALL)}")
    assert other.status_code == 404
    assert "Dupont" not in other.text and "DUPONT" not in other.text
    own = staff.get(f"/admin/planning?jour={DAY}")
    assert own.status_code == 200
    assert "Espace solidarité" in own.text and "DUPONT" not in own.text


def test_an_agent_without_a_site_is_told_why_the_planning_is_empty(
    staff, town_hall_booking, settings
):
    staff.as_(create_staff(settings, Role.AGENT))
    page = staff.get("/admin/planning")  # the menu's link
    assert page.status_code == 200
    assert "Aucun site ne vous est attribué" in text_of(page.text)
    other = staff.get(f"/admin/planning?site={site_id(settings, TOWN_HALL)}")
    assert other.status_code == 404 and "DUPONT" not in other.text


def test_planning_filters_carry_nothing_personal(staff, agent, town_hall_booking):
    page = staff.as_(agent).get(f"/admin/planning?jour={DAY}")
    for href in re.findall(r'href="([^"]+)"', page.text):
        assert "dupont" not in href.lower() and "@" not in href


# --- search -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["dupont", "Camille DUP", "camille.dupont@example.org", "06 12 34 56 78", "REFERENCE"],
)
def test_a_booking_is_found_by_name_email_phone_or_reference(
    staff, agent, town_hall_booking, typed
):
    typed = town_hall_booking.reference.lower() if typed == "REFERENCE" else typed
    response = staff.as_(agent).post("/admin/rendez-vous", {"recherche": typed})
    assert response.status_code == 200
    assert "1 résultat" in text_of(response.text)
    assert f'href="/admin/rendez-vous/{town_hall_booking.id}"' in response.text
    assert 'value="' + typed in response.text  # what was typed stays in the field
    assert response.headers["cache-control"] == "no-store"


def test_a_search_finds_nothing_on_another_site_and_says_so(staff, social_agent, town_hall_booking):
    response = staff.as_(social_agent).post("/admin/rendez-vous", {"recherche": "dupont"})
    assert response.status_code == 200
    assert "Aucun rendez-vous trouvé" in text_of(response.text)
    assert "/admin/rendez-vous/" + str(town_hall_booking.id) not in response.text


def test_an_empty_search_says_what_to_type_and_a_get_never_searches(
    staff, agent, town_hall_booking
):
    staff.as_(agent)
    response = staff.post("/admin/rendez-vous", {"recherche": " "})
    assert response.status_code == 422
    assert "Saisissez au moins deux lettres" in text_of(response.text)
    # A query in the address is ignored: search terms never travel in URLs.
    page = staff.get("/admin/rendez-vous?recherche=dupont")
    assert page.status_code == 200 and "DUPONT" not in page.text


# --- detail and actions ---------------------------------------------------------------------


def test_the_detail_shows_everything_and_the_actions_to_an_agent(staff, agent, town_hall_booking):
    page = staff.as_(agent).get(f"/admin/rendez-vous/{town_hall_booking.id}")
    text = text_of(page.text)
    for expected in (
        town_hall_booking.reference,
        f"{french_date(DAY).capitalize()}, de 10 h à 10 h 30",
        "Urbanisme — permis de construire",
        "DUPONT Camille",
        "camille.dupont@example.org",
        "06 12 34 56 78",
        "en ligne",
        "Déplacer le rendez-vous",
        "Annuler le rendez-vous",
        "La présence pourra être notée",
    ):
        assert expected in text, expected


def test_another_sites_agent_gets_404_without_data_and_changes_nothing(
    staff, social_agent, town_hall_booking, settings
):
    staff.as_(social_agent)
    path = f"/admin/rendez-vous/{town_hall_booking.id}"
    for response in (
        staff.get(path),
        staff.get(path + "/deplacer"),
        staff.get(path + "/annuler"),
        staff.post(path + "/annuler", {"sequence": "0"}),
        staff.post(path + "/presence", {"presence": "venu"}),
        staff.post(path + "/deplacer", {"sequence": "0", "creneau": slot(open_day(TUESDAY), 10)}),
    ):
        assert response.status_code == 404
        assert "DUPONT" not in response.text and "Dupont" not in response.text
    after = booking_of(settings, town_hall_booking.id)
    assert (after.status, after.start, after.sequence) == ("confirmed", town_hall_booking.start, 0)


def test_a_missing_back_office_page_speaks_to_staff_not_to_citizens(staff, agent):
    staff.as_(agent)
    page = staff.get("/admin/rendez-vous/999999")
    assert page.status_code == 404
    text = text_of(page.text)
    assert "Page introuvable" in text and "menu du back-office" in text
    assert "prise de rendez-vous" not in text
    assert "Revenir au tableau de bord" in text


def test_an_unexpected_failure_in_the_back_office_speaks_to_staff(staff, agent, monkeypatch):
    async def broken(*_args, **_kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("app.web.staff.phone_booking.active_type_groups", broken)
    page = staff.as_(agent).get("/admin/reserver")
    assert page.status_code == 500
    text = text_of(page.text)
    assert "Une erreur est survenue" in text and "back-office" in text
    assert "Vos réponses" not in text and "database on fire" not in page.text


def test_a_viewer_reads_but_cannot_act(staff, viewer, town_hall_booking, settings):
    staff.as_(viewer)
    path = f"/admin/rendez-vous/{town_hall_booking.id}"
    page = staff.get(path)
    assert page.status_code == 200 and "DUPONT Camille" in text_of(page.text)
    assert "Déplacer le rendez-vous" not in page.text
    assert staff.post(path + "/annuler", {"sequence": "0"}).status_code == 403
    assert staff.get("/admin/reserver").status_code == 403
    assert booking_of(settings, town_hall_booking.id).status == "confirmed"


def test_an_agent_moves_a_booking_and_the_citizen_is_emailed(
    staff, agent, town_hall_booking, settings
):
    staff.as_(agent)
    path = f"/admin/rendez-vous/{town_hall_booking.id}/deplacer"
    form = staff.get(path)
    assert form.status_code == 200
    slots = slot_values(form.text)
    assert town_hall_booking.start.isoformat() not in slots
    response = staff.post(path, {"sequence": "0", "creneau": slots[3]}, token_from=path)
    assert response.status_code == 303
    assert response.headers["location"].endswith("?fait=deplace")
    page = staff.get(response.headers["location"])
    assert "Le rendez-vous a été déplacé. La personne est prévenue par e-mail." in text_of(
        page.text
    )
    history = text_of(page.text).split("Historique", 1)[1]
    moved_from = f"{DAY:%d/%m/%Y} 10:00"
    assert f"Rendez-vous {town_hall_booking.reference} déplacé du {moved_from}" in history
    assert agent.email in history  # who did it
    moved = booking_of(settings, town_hall_booking.id)
    assert moved.start == datetime.fromisoformat(slots[3]) and moved.sequence == 1
    assert emails_of(settings, moved.id)[-1]["Subject"].startswith(
        "Rendez-vous déplacé par la mairie"
    )
    events = audit_of(settings, moved.id)
    assert [e.action for e in events] == ["booking.moved"]
    assert events[0].staff_id == agent.id


def test_a_move_to_a_taken_slot_or_without_a_slot_is_refused_in_french(
    staff, agent, citizen, town_hall_booking, settings
):
    # 10:00 on the second desk, then 10:30 on both: 10:30 is full.
    for hour, minute in ((10, 0), (10, 30), (10, 30)):
        book_at(citizen, settings, slot(DAY, hour, minute), title=URBANISM)
        citizen.client.cookies.clear()
    full = bookings(settings)[-1].start
    assert full == town_hall_booking.start + timedelta(minutes=30)
    staff.as_(agent)
    path = f"/admin/rendez-vous/{town_hall_booking.id}/deplacer"
    response = staff.post(path, {"sequence": "0", "creneau": full.isoformat()}, token_from=path)
    assert response.status_code == 409
    assert "Ce créneau n'est plus libre" in text_of(response.text)
    missing = staff.post(path, {"sequence": "0"}, token_from=path)
    assert missing.status_code == 422
    assert "Choisissez un créneau dans la liste." in text_of(missing.text)
    stale = staff.post(
        path, {"sequence": "7", "creneau": slot_values(missing.text)[0]}, token_from=path
    )
    assert stale.status_code == 409
    assert "modifié entre-temps" in text_of(stale.text)
    after = booking_of(settings, town_hall_booking.id)
    assert (after.start, after.sequence) == (town_hall_booking.start, 0)
    assert emails_of(settings, after.id)[-1]["Subject"].startswith("Rendez-vous confirmé")


def test_an_agent_cancels_after_confirming(staff, agent, town_hall_booking, settings):
    staff.as_(agent)
    path = f"/admin/rendez-vous/{town_hall_booking.id}/annuler"
    confirm_page = staff.get(path)
    assert "Annuler le rendez-vous " + town_hall_booking.reference in text_of(confirm_page.text)
    response = staff.post(path, {"sequence": "0"}, token_from=path)
    assert response.status_code == 303
    page = staff.get(response.headers["location"])
    assert "Annulé par la mairie" in text_of(page.text)
    assert booking_of(settings, town_hall_booking.id).status == "cancelled"
    again = staff.post(
        path, {"sequence": "1"}, token_from=f"/admin/rendez-vous/{town_hall_booking.id}"
    )
    assert again.status_code == 409
    assert "Ce rendez-vous est annulé" in text_of(again.text)
    assert [e.action for e in audit_of(settings, town_hall_booking.id)] == ["booking.cancelled"]


def test_attendance_once_begun_can_be_undone(staff, agent, town_hall_booking, settings, clock):
    staff.as_(agent)
    path = f"/admin/rendez-vous/{town_hall_booking.id}"
    early = staff.post(path + "/presence", {"presence": "venu"}, token_from=path)
    assert early.status_code == 409
    assert "La présence se note une fois le rendez-vous commencé." in text_of(early.text)
    clock.now = town_hall_booking.start + timedelta(minutes=10)
    staff.as_(agent)  # two hours later: the session went idle
    bad = staff.post(path + "/presence", {"presence": "peut-être"}, token_from=path)
    assert bad.status_code == 422
    assert booking_of(settings, town_hall_booking.id).attendance is None
    assert staff.post(path + "/presence", {"presence": "venu"}, token_from=path).status_code == 303
    assert booking_of(settings, town_hall_booking.id).attendance == "attended"
    page = staff.get(path)
    assert 'aria-pressed="true">Venu' in page.text
    assert (
        staff.post(path + "/presence", {"presence": "effacer"}, token_from=path).status_code == 303
    )
    assert booking_of(settings, town_hall_booking.id).attendance is None
    assert [e.action for e in audit_of(settings, town_hall_booking.id)] == [
        "booking.attendance",
        "booking.attendance",
    ]


# --- phone booking ------------------------------------------------------------------------


def phone_form(staff, settings, slug="urbanisme-permis", people="1"):
    tid = type_id(settings, slug)
    path = f"/admin/reserver/creneau?type={tid}&personnes={people}"
    page = staff.get(path)
    return tid, path, page


def token_of(page_text: str) -> str:
    return re.search(r'name="jeton" value="([0-9a-f]+)"', page_text).group(1)


def test_changing_the_type_comes_back_to_the_previous_choice(staff, agent, settings):
    staff.as_(agent)
    tid, _path, page = phone_form(staff, settings, "titres-identite", people="2")
    change = re.search(r'href="([^"]+)">Changer</a>', page.text).group(1).replace("&amp;", "&")
    first = staff.get(change)
    assert first.status_code == 200
    assert f'<option value="{tid}" selected>' in first.text
    assert re.search(r'name="personnes"[^>]*value="2"', first.text)


def test_a_phone_booking_without_email(staff, agent, settings):
    staff.as_(agent)
    assert "Réserver pour une personne" in staff.get("/admin/reserver").text
    tid, path, page = phone_form(staff, settings)
    assert page.status_code == 200
    slot = slot_values(page.text)[0]
    data = {
        "type": str(tid),
        "personnes": "1",
        "jeton": token_of(page.text),
        "creneau": slot,
        "last_name": "Lemaire",
        "first_name": "Paul",
        "email": "",
        "phone": "03 20 12 34 56",
    }
    response = staff.post("/admin/reserver/creneau", data, token_from=path)
    assert response.status_code == 303, text_of(response.text)[:500]
    detail = staff.get(response.headers["location"])
    text = text_of(detail.text)
    assert "Le rendez-vous est enregistré." in text
    assert "prévenez-la par téléphone" in text
    booked = bookings(settings)[-1]
    assert (booked.last_name, booked.email, booked.phone, booked.by_staff) == (
        "Lemaire",
        "",
        "+33320123456",
        True,
    )
    assert emails_of(settings, booked.id) == []
    # The same form sent again books nothing more.
    again = staff.post("/admin/reserver/creneau", data, token_from=path)
    assert again.headers["location"] == response.headers["location"]
    assert len(bookings(settings)) == 1
    assert [e.action for e in audit_of(settings, booked.id)] == ["booking.created"]


def test_a_phone_booking_with_email_notifies_the_citizen(staff, agent, settings):
    staff.as_(agent)
    tid, path, page = phone_form(staff, settings, "titres-identite", people="2")
    data = {
        "type": str(tid),
        "personnes": "2",
        "jeton": token_of(page.text),
        "creneau": slot_values(page.text)[0],
        "last_name": "Lemaire",
        "first_name": "Paul",
        "email": "paul.lemaire@example.org",
        "phone": "",
        "extra_predemande": "2A3B4C5D6E",
    }
    assert staff.post("/admin/reserver/creneau", data, token_from=path).status_code == 303
    booked = bookings(settings)[-1]
    assert booked.people == 2 and booked.extra == {"predemande": "2A3B4C5D6E"}
    assert booked.end - booked.start == timedelta(minutes=30)
    mails = emails_of(settings, booked.id)
    assert [m["To"].addresses[0].addr_spec for m in mails] == ["paul.lemaire@example.org"]


def test_bad_phone_booking_input_is_explained_and_kept(staff, agent, settings):
    staff.as_(agent)
    tid = type_id(settings, "urbanisme-permis")
    too_many = staff.get(f"/admin/reserver/creneau?type={tid}&personnes=3")
    assert too_many.status_code == 422
    assert "Ce type de rendez-vous reçoit une seule personne" in text_of(too_many.text)
    no_type = staff.get("/admin/reserver/creneau?type=&personnes=1")
    assert no_type.status_code == 422 and "Choisissez le type de rendez-vous." in no_type.text
    _, path, page = phone_form(staff, settings)
    response = staff.post(
        "/admin/reserver/creneau",
        {
            "type": str(tid),
            "personnes": "1",
            "jeton": token_of(page.text),
            "last_name": "",
            "first_name": "Paul",
            "email": "pas-une-adresse",
            "phone": "12",
        },
        token_from=path,
    )
    assert response.status_code == 422
    text = text_of(response.text)
    for message in (
        "Choisissez un créneau dans la liste.",
        "Saisissez le nom de la personne.",
        "Saisissez une adresse électronique valide",
        "Saisissez un numéro de téléphone valide",
    ):
        assert message in text, message
    assert 'value="Paul"' in response.text and 'value="pas-une-adresse"' in response.text
    assert bookings(settings) == []


def test_a_phone_booking_of_a_slot_taken_meanwhile_is_refused_and_keeps_the_details(
    staff, agent, citizen, settings
):
    staff.as_(agent)
    tid, path, page = phone_form(staff, settings, "mariage-pacs")
    slot = slot_values(page.text)[0]
    walk_to(citizen, 7, title="Mariage / PACS — dossier")  # the same first slot
    response = staff.post(
        "/admin/reserver/creneau",
        {
            "type": str(tid),
            "personnes": "1",
            "jeton": token_of(page.text),
            "creneau": slot,
            "last_name": "Lemaire",
            "first_name": "Paul",
            "email": "",
            "phone": "",
        },
        token_from=path,
    )
    assert response.status_code == 409
    assert "Ce créneau n'est plus libre" in text_of(response.text)
    assert 'value="Lemaire"' in response.text
    assert len(bookings(settings)) == 1


def test_an_agent_cannot_book_a_type_of_another_site(staff, social_agent, settings):
    staff.as_(social_agent)
    tid = type_id(settings, "urbanisme-permis")
    page = staff.get(f"/admin/reserver/creneau?type={tid}&personnes=1")
    assert page.status_code == 422 and "Choisissez le type de rendez-vous." in page.text
    assert "Urbanisme" not in staff.get("/admin/reserver").text
