"""Markdown, colours and logos as an administrator gives them."""

from __future__ import annotations

import struct
import zlib

from app.configuration import colours, logo, markdown


def test_markdown_becomes_html_with_headings_under_the_page_heading():
    html = markdown.render("# Éditeur\n\nLa **mairie** de Test.\n\n- un\n- deux")
    assert "<h2>Éditeur</h2>" in html
    assert "<strong>mairie</strong>" in html
    assert "<li>un</li>" in html
    assert "<h3>Titre</h3>" in markdown.render("# Titre", heading_offset=2)


def test_scripts_event_handlers_and_javascript_links_are_removed():
    html = markdown.render(
        "Bonjour <script>alert(1)</script>\n\n"
        '[piège](javascript:alert(1)) <a href="javascript:alert(2)">lien</a> '
        '<img src="x" onerror="alert(3)"> <b onclick="alert(4)" style="color:red">gras</b>\n\n'
        "[site](https://exemple.fr)"
    )
    assert "<script" not in html
    assert "javascript:" not in html.replace("[piège](javascript:alert(1))", "")
    assert 'href="javascript' not in html
    assert "onerror" not in html and "onclick" not in html and "style=" not in html
    assert "<img" not in html
    assert '<a href="https://exemple.fr" rel="noopener noreferrer">site</a>' in html


def test_a_long_text_is_refused():
    assert markdown.too_long("x" * 20_000) is None
    assert "20\u202f000" in markdown.too_long("x" * 20_001)


def test_colours_are_normalised_and_pale_ones_refused():
    assert colours.check("#1B4F8A") == ("#1b4f8a", None)
    assert colours.check("000") == ("#000000", None)
    assert colours.check("#000091") == ("#000091", None)
    colour, message = colours.check("#ffcc00")
    assert colour is None and "1,5:1 avec le texte blanc" in message and "4,5:1" in message
    assert colours.check("rouge")[1].startswith("Saisissez une couleur")
    # #767676 is 4.54:1 on white but only 4.1:1 on the pale background of the footer.
    assert colours.check("#767676")[0] is None
    assert colours.check("#6b6b6b")[0] == "#6b6b6b"


def _png(width: int = 2, height: int = 1) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\0" + b"\x10\x20\x30" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_png_and_jpeg_logos_are_accepted_by_their_bytes():
    accepted, message = logo.check(_png())
    assert message is None and accepted.content_type == "image/png" and len(accepted.digest) == 64
    jpeg, _ = logo.check(b"\xff\xd8\xff\xe0" + b"\0" * 100 + b"\xff\xd9")
    assert jpeg.content_type == "image/jpeg"


def test_svg_other_files_and_big_files_are_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert "SVG" in logo.check(svg)[1]
    assert "PNG ou JPEG" in logo.check(b"GIF89a....")[1]
    big = _png() + b"\0" * (200 * 1024)
    assert (
        logo.check(big)[1] == "Ce fichier pèse plus de 200 ko : le logo doit peser 200 ko au plus."
    )


def test_opening_covers_says_whether_a_desk_is_open_over_an_interval():
    from datetime import date, datetime, time
    from zoneinfo import ZoneInfo

    from app.booking.availability import WeeklyOpening, opening_covers

    paris = ZoneInfo("Europe/Paris")
    monday = [WeeklyOpening(0, time(8, 30), time(12)), WeeklyOpening(0, time(12), time(13))]
    at = lambda h, m=0: datetime(2026, 11, 30, h, m, tzinfo=paris)  # noqa: E731 - a Monday
    assert opening_covers(monday, 1, at(11, 30), at(12, 30), paris)  # across merged rules
    assert not opening_covers(monday, 1, at(8), at(8, 30), paris)
    assert not opening_covers(monday[:1], 1, at(11, 30), at(12, 30), paris)
    desk_only = [WeeklyOpening(0, time(9), time(10), desk_id=2)]
    assert opening_covers(desk_only, 2, at(9), at(9, 30), paris)
    assert not opening_covers(desk_only, 1, at(9), at(9, 30), paris)
    later = [WeeklyOpening(0, time(9), time(10), valid_from=date(2026, 12, 7))]
    assert not opening_covers(later, 1, at(9), at(9, 30), paris)
