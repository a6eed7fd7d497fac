"""The bookings as a CSV file that LibreOffice and Excel open cleanly: UTF-8 with a byte
order mark, `;` between cells (the separator French spreadsheets expect), CRLF line ends,
and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from app.reports.rows import BookingRow

BOM = "\ufeff"
# OWASP "CSV Injection": a cell starting with one of these is read as a formula (or, for
# tab and CR, can shift what follows into one); a leading apostrophe makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

HEADERS = (
    "référence",
    "date",
    "heure",
    "fin",
    "site",
    "guichet",
    "type",
    "personnes",
    "nom",
    "prénom",
    "e-mail",
    "téléphone",
    "informations complémentaires",
    "statut",
    "présence",
    "pris par le personnel",
    "créé le",
    "annulé le",
    "annulé par",
    "données effacées",
)


def safe_cell(value: object) -> str:
    """The text of one cell, neutralised if a spreadsheet would evaluate it."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _day(moment: datetime | None) -> str:
    return f"{moment:%d/%m/%Y}" if moment else ""


def _stamp(moment: datetime | None) -> str:
    return f"{moment:%d/%m/%Y %H:%M}" if moment else ""


def _yes_no(flag: bool) -> str:
    return "oui" if flag else "non"


def booking_cells(row: BookingRow) -> list[str]:
    return [
        row.reference,
        _day(row.start),
        f"{row.start:%H:%M}",
        f"{row.end:%H:%M}",
        row.site,
        row.desk,
        row.type_title,
        str(row.people),
        row.last_name,
        row.first_name,
        row.email,
        row.phone,
        " ; ".join(f"{label} : {value}" for label, value in row.extra),
        row.status,
        row.attendance,
        _yes_no(row.by_staff),
        _stamp(row.created_at),
        _stamp(row.cancelled_at),
        row.cancelled_by,
        _yes_no(row.anonymised),
    ]


def csv_text(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Any table as the CSV text described above, BOM included; every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return BOM + buffer.getvalue()


def bookings_csv(rows: Iterable[BookingRow]) -> bytes:
    return csv_text(HEADERS, (booking_cells(row) for row in rows)).encode("utf-8")


_UNSAFE_NAME = re.compile(r"[^a-z0-9-]+")


def export_filename(first_day: date, last_day: date, site_name: str | None = None) -> str:
    """An ASCII file name any system accepts: rendez-vous_2026-11-01_2026-11-30[_site].csv"""
    name = f"rendez-vous_{first_day:%Y-%m-%d}_{last_day:%Y-%m-%d}"
    if site_name:
        ascii_name = unicodedata.normalize("NFKD", site_name).encode("ascii", "ignore").decode()
        slug = _UNSAFE_NAME.sub("-", ascii_name.lower()).strip("-")[:40]
        if slug:
            name += f"_{slug}"
    return f"{name}.csv"
