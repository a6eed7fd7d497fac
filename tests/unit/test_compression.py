"""Which answers are compressed, and with what (app/web/compression.py)."""

from __future__ import annotations

import pytest

from app.web.compression import compressible, preferred_coding


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html; charset=utf-8",
        "text/css",
        "text/javascript; charset=utf-8",
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "text/calendar; charset=utf-8",
        "text/csv; charset=utf-8",
        "image/svg+xml",
        "TEXT/HTML",
    ],
)
def test_text_is_compressed(content_type):
    assert compressible(content_type)


@pytest.mark.parametrize(
    "content_type", ["image/png", "image/jpeg", "font/woff2", "application/octet-stream", ""]
)
def test_compressed_formats_and_unknown_bodies_are_not(content_type):
    assert not compressible(content_type)


@pytest.mark.parametrize(
    ("accept_encoding", "expected"),
    [
        ("gzip, deflate, br, zstd", "br"),  # Chromium over HTTPS
        ("gzip, deflate", "gzip"),
        ("gzip", "gzip"),
        ("br;q=1.0, gzip;q=0.8", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("GZIP", "gzip"),
        ("*", "br"),
        ("gzip;q=0, *;q=0.1", "br"),
        ("", None),
        ("identity", None),
        ("deflate", None),
        ("gzip;q=0", None),
        ("br;q=0, gzip;q=0", None),
        ("*;q=0", None),
        ("gzip;q=abc", None),
        ("x-gzip", None),
    ],
)
def test_the_client_s_preference_is_read_as_rfc_9110_says(accept_encoding, expected):
    assert preferred_coding(accept_encoding) == expected
