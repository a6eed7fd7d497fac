"""The CSV writer: what LibreOffice and Excel need, and no formula a spreadsheet would run."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from app.reports.csv_export import csv_text, export_filename, safe_cell


@pytest.mark.parametrize(
    "value", ["=1+1", "+33612345678", "-2+3", "@SUM(A1:A2)", "\tcmd", "\r=x", '=HYPERLINK("x")']
)
def test_cells_a_spreadsheet_would_evaluate_are_prefixed_with_an_apostrophe(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Dupont", "", "12", "a=b", " =1", "—", "Élodie"])
def test_ordinary_cells_are_unchanged(value):
    assert safe_cell(value) == value


def test_none_is_an_empty_cell():
    assert safe_cell(None) == ""


def test_the_file_starts_with_a_bom_uses_semicolons_and_crlf():
    text = csv_text(["nom", "note"], [["Dupont", "a;b"], ["=cmd|' /C calc'!A0", 'dit "oui"']])
    assert text.startswith("\ufeffnom;note\r\n")
    assert text.count("\r\n") == 3
    assert "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))
    assert rows == [
        ["nom", "note"],
        ["Dupont", "a;b"],
        ["'=cmd|' /C calc'!A0", 'dit "oui"'],
    ]


def test_line_breaks_inside_a_cell_stay_inside_it():
    text = csv_text(["adresse"], [["1 rue\r\nde la Paix"]])
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))
    assert rows[1] == ["1 rue\r\nde la Paix"]


def test_the_file_name_is_plain_ascii():
    assert (
        export_filename(date(2026, 11, 1), date(2026, 11, 30), 'Hôtel de ville "Nord"/../')
        == "rendez-vous_2026-11-01_2026-11-30_hotel-de-ville-nord.csv"
    )
    assert export_filename(date(2026, 1, 1), date(2026, 1, 31)) == (
        "rendez-vous_2026-01-01_2026-01-31.csv"
    )
