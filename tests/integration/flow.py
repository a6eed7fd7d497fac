"""Walking the citizen flow in tests, step by step."""

from __future__ import annotations

import re

SLOT_RE = re.compile(r'name="creneau" id="creneau-\d+" value="([^"]+)"')
TYPE_RE = re.compile(
    r'id="type-(\d+)" name="type_id" value="\d+"[^>]*>\s*<label[^>]*>'
    r'<span class="choix__titre">([^<]+)</span>'
)

CONTACT = {
    "last_name": "Dupont",
    "first_name": "Camille",
    "email": "camille.dupont@example.org",
    "phone": "06 12 34 56 78",
}


def type_ids(page_text: str) -> dict[str, int]:
    return {title.replace("&#39;", "'"): int(ident) for ident, title in TYPE_RE.findall(page_text)}


def slot_values(page_text: str) -> list[str]:
    return SLOT_RE.findall(page_text)


def walk_to_slots(citizen, type_title: str = "CCAS — aide sociale", people: int = 1):
    """Steps 1–4; returns the step-5 response."""
    ids = type_ids(citizen.get("/rendez-vous/type").text)
    citizen.submit("/rendez-vous/type", {"type_id": str(ids[type_title])})
    citizen.submit("/rendez-vous/informations", {})
    citizen.submit("/rendez-vous/personnes", {"people": str(people)})
    return citizen.submit("/rendez-vous/coordonnees", CONTACT)


def book(citizen, type_title: str = "CCAS — aide sociale", people: int = 1, slot_index: int = 0):
    page = walk_to_slots(citizen, type_title, people)
    slot = slot_values(page.text)[slot_index]
    citizen.submit("/rendez-vous/creneau", {"creneau": slot})
    return slot, citizen.submit("/rendez-vous/recapitulatif", {})
