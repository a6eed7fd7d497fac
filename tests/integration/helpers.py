"""What the integration tests share besides `flow.py`: reading the database, reading pages,
several citizens on one client, and walking the flow to a given step."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.db.models import Booking, Draft
from app.db.session import Database
from app.settings import Settings
from tests.integration.flow import CONTACT, slot_values, type_ids

HX = {"HX-Request": "true"}
DRAFT_COOKIE = "creneau_brouillon"
HOST = "127.0.0.1"

CCAS = "CCAS — aide sociale"
PASSPORT = "Carte d'identité / passeport"
URBANISM = "Urbanisme — permis de construire"
MARRIAGE = "Mariage / PACS — dossier"

PATHS = {
    1: "/rendez-vous/type",
    2: "/rendez-vous/informations",
    3: "/rendez-vous/personnes",
    4: "/rendez-vous/coordonnees",
    5: "/rendez-vous/creneau",
    6: "/rendez-vous/recapitulatif",
    7: "/rendez-vous/confirmation",
}
ICS_PATH = "/rendez-vous/confirmation/rendez-vous.ics"
RESTART = "/rendez-vous/type?motif=expire"


# --- the database -----------------------------------------------------------------------


def fetch(settings: Settings, statement: Any) -> list[Any]:
    """Runs one SELECT on the application's database (its own engine, its own loop)."""

    async def run() -> list[Any]:
        db = Database(settings.database_url)
        try:
            async with db.read() as session:
                return list((await session.execute(statement)).scalars())
        finally:
            await db.dispose()

    return asyncio.run(run())


def execute(settings: Settings, *statements: Any) -> None:
    """Runs write statements in one transaction, as staff changing settings would."""

    async def run() -> None:
        db = Database(settings.database_url)
        try:
            async with db.write() as session:
                for statement in statements:
                    await session.execute(statement)
        finally:
            await db.dispose()

    asyncio.run(run())


def answered_draft(type_id: int, n: int, slot_start: str) -> dict[str, Any]:
    """A draft's state with every answer given up to the recap: citizen number `n`, one
    person, `slot_start` chosen (written directly, not held)."""
    return {
        "type_id": type_id,
        "info_seen": True,
        "people": 1,
        "contact": {
            "last_name": f"Citoyen{n}",
            "first_name": "Test",
            "email": f"citoyen{n}@example.org",
            "phone": "+33612345678",
            "extra": {},
        },
        "contact_type_id": type_id,
        "slot_start": slot_start,
    }


def bookings(settings: Settings) -> list[Booking]:
    return fetch(
        settings,
        select(Booking)
        .options(selectinload(Booking.desk), selectinload(Booking.type))
        .order_by(Booking.id),
    )


def drafts(settings: Settings) -> list[Draft]:
    return fetch(settings, select(Draft).order_by(Draft.id))


# --- pages ---------------------------------------------------------------------------------


def text_of(page: str) -> str:
    """What a reader sees: tags removed, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def input_tag(page: str, name: str) -> str:
    """The `<input …>` tag of the text field `name`."""
    match = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    assert match, f"no field {name!r} in the page"
    return match.group(0)


def value_of(page: str, name: str) -> str:
    match = re.search(r'\bvalue="([^"]*)"', input_tag(page, name))
    assert match, f"field {name!r} has no value attribute"
    return html.unescape(match.group(1))


def checked_values(page: str, name: str) -> list[str]:
    tags = re.findall(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    return [
        html.unescape(re.search(r'value="([^"]*)"', tag).group(1))
        for tag in tags
        if re.search(r"\schecked\b", tag)
    ]


def error_summary(page: str) -> str:
    """The error summary's markup (asserts there is one)."""
    match = re.search(r'<div class="resume-erreurs".*?</ul>', page, re.S)
    assert match, "no error summary in the page"
    return match.group(0)


def summary_targets_exist(page: str) -> None:
    """Every link of the error summary leads to an element of the page."""
    summary = error_summary(page)
    anchors = re.findall(r'href="#([^"]+)"', summary)
    assert anchors, "the error summary links to nothing"
    for anchor in anchors:
        assert f'id="{anchor}"' in page, f"the summary links to #{anchor}, absent from the page"


def assert_full_page(response: httpx.Response) -> None:
    assert "<html" in response.text
    assert "<title>" in response.text
    assert "HX-Request" in response.headers.get("vary", "")


def assert_fragment(response: httpx.Response) -> None:
    assert response.text.lstrip().startswith('<div id="etape"'), response.text[:200]
    assert "<html" not in response.text
    assert "<title>" not in response.text
    assert "HX-Request" in response.headers.get("vary", "")


def assert_no_traceback(response: httpx.Response) -> None:
    for trace in ("Traceback", 'File "', "Exception", "sqlalchemy", "litestar."):
        assert trace not in response.text, f"{trace!r} shown to the visitor"


# --- cookies -------------------------------------------------------------------------------


def draft_token(client: httpx.Client) -> str | None:
    return client.cookies.get(DRAFT_COOKIE)


def set_draft_token(client: httpx.Client, value: str) -> None:
    client.cookies.delete(DRAFT_COOKIE)
    client.cookies.set(DRAFT_COOKIE, value, domain=HOST, path="/rendez-vous")


class Citizens:
    """Several people booking through one test client (one event loop for the app), each
    with their own cookies: the client's jar is swapped while one of them acts."""

    def __init__(self, citizen: Any) -> None:
        self.citizen = citizen
        self.jars: dict[str, httpx.Cookies] = {}

    @contextmanager
    def as_(self, name: str) -> Iterator[Any]:
        client = self.citizen.client
        saved = client.cookies
        client.cookies = self.jars.get(name, httpx.Cookies())
        try:
            yield self.citizen
        finally:
            self.jars[name] = client.cookies
            client.cookies = saved

    def cookie_header(self, name: str) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jars[name].jar)


# --- walking the flow ----------------------------------------------------------------------


def choose_type(citizen: Any, title: str = CCAS, **kwargs: Any) -> httpx.Response:
    ids = type_ids(citizen.get(PATHS[1]).text)
    return citizen.submit(PATHS[1], {"type_id": str(ids[title])}, **kwargs)


def walk_to(
    citizen: Any,
    step: int,
    title: str = CCAS,
    people: int = 1,
    slot_index: int = 0,
    contact: dict[str, str] | None = None,
):
    """Answers every step before `step` (2 to 7); returns the last response (the page of
    `step`, or for 7 the confirmation) and the chosen slot, if any."""
    slot = None
    response = choose_type(citizen, title)
    if step > 2:
        response = citizen.submit(PATHS[2], {})
    if step > 3:
        response = citizen.submit(PATHS[3], {"people": str(people)})
    if step > 4:
        response = citizen.submit(PATHS[4], contact or CONTACT)
    if step > 5:
        slot = slot_values(response.text)[slot_index]
        response = citizen.submit(PATHS[5], {"creneau": slot})
    if step > 6:
        response = citizen.submit(PATHS[6], {})
    assert response.status_code == 200, response.status_code
    assert response.url.path == PATHS[step], response.url
    return response, slot
