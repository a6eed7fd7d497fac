"""The vendored front-end assets are the ones recorded, with their licence, and the pages
load that exact file."""

import hashlib

from app.web.static_files import HTMX_ASSET, STATIC


def test_htmx_matches_its_recorded_checksum_and_version():
    folder = STATIC / "vendor" / "htmx"
    recorded = dict(
        reversed(line.split()) for line in (folder / "SHA256SUMS").read_text().splitlines()
    )
    asset = STATIC / HTMX_ASSET
    assert hashlib.sha256(asset.read_bytes()).hexdigest() == recorded[asset.name]
    assert asset.name == "htmx-2.0.11.min.js"  # Litestar's htmx support speaks 2.x
    assert b'version:"2.0.11"' in asset.read_bytes()
    assert "Zero-Clause BSD" in (folder / "LICENSE").read_text()
