"""Static files under addresses that name their content, kept a year by browsers; pages
kept for no time at all, so that they always name the current files."""

from __future__ import annotations

import gzip
import json
import re

import brotli
import pytest

from app.web.static_files import STATIC
from tests.integration.helpers import PATHS

IMMUTABLE = "public, max-age=31536000, immutable"
STATIC_URL = re.compile(r'(?:href|src)="(/static/[^"]+)"')
FINGERPRINTED = re.compile(r"^/static/(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<suffix>\.\w+)$")


def file_of(url: str) -> bytes:
    match = FINGERPRINTED.match(url)
    assert match, f"{url} does not name its content"
    return (STATIC / f"{match['stem']}{match['suffix']}").read_bytes()


@pytest.mark.parametrize("path", [PATHS[1], "/mes-rendez-vous", "/admin/connexion"])
def test_pages_name_static_files_that_browsers_keep_a_year(client, path):
    page = client.get(path)
    assert page.status_code == 200
    # The page itself is never kept: the next visit names the files of the day.
    assert page.headers["cache-control"] in {"no-store", "no-cache"}
    urls = STATIC_URL.findall(page.text)
    assert len(urls) >= 3, urls
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == IMMUTABLE, url
        assert response.content == file_of(url), url


def test_a_changed_file_gets_a_new_address(client, tmp_path, monkeypatch):
    from app.web import static_files

    copy = tmp_path / "static"
    (copy / "css").mkdir(parents=True)
    (copy / "css" / "creneau.css").write_bytes((STATIC / "css" / "creneau.css").read_bytes())
    assets = static_files.StaticAssets(copy)
    monkeypatch.setattr(static_files, "ASSETS", assets)
    before = static_files.static_url("css/creneau.css")
    (copy / "css" / "creneau.css").write_text("body { color: black; }\n")
    after = static_files.static_url("css/creneau.css")
    assert before != after
    # The old address answers the current file, but only until the next visit.
    old = client.get(before)
    assert old.text == "body { color: black; }\n"
    assert old.headers["cache-control"] == "no-cache"
    assert client.get(after).headers["cache-control"] == IMMUTABLE


def test_the_plain_address_is_revalidated_at_each_use(client):
    first = client.get("/static/js/appareil.js")
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-cache"
    assert first.headers["content-type"] == "text/javascript; charset=utf-8"
    assert first.content == (STATIC / "js" / "appareil.js").read_bytes()
    again = client.get("/static/js/appareil.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    head = client.head("/static/js/appareil.js")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == first.headers["content-length"]
    assert head.headers["etag"] == first.headers["etag"]


def test_static_files_are_compressed_once_at_the_best_levels(client):
    url = STATIC_URL.findall(client.get(PATHS[1]).text)[0]
    original = file_of(url)
    for coding, decode, best in (
        ("br", brotli.decompress, lambda b: brotli.compress(b, quality=11)),
        ("gzip", gzip.decompress, lambda b: gzip.compress(b, compresslevel=9, mtime=0)),
    ):
        with client.stream("GET", url, headers={"Accept-Encoding": coding}) as raw:
            sent = b"".join(raw.iter_raw())
            assert raw.headers["content-encoding"] == coding
            assert raw.headers["vary"] == "Accept-Encoding"
            assert raw.headers["cache-control"] == IMMUTABLE
        assert decode(sent) == original
        assert len(sent) == len(best(original))


def test_the_service_worker_precaches_the_addresses_the_pages_name(client):
    page_urls = set(STATIC_URL.findall(client.get("/mes-rendez-vous").text))
    worker = client.get("/sw.js").text
    shell = json.loads(re.search(r"var SHELL = (\[.*?\]);", worker).group(1))
    assert page_urls <= set(shell)
    manifest = client.get("/manifest.webmanifest").json()
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).headers["cache-control"] == IMMUTABLE


@pytest.mark.parametrize(
    "path",
    [
        "/static/icons/make_icons.py",
        "/static/../app/settings.py",
        "/static/%2e%2e/app/settings.py",
        "/static/css/creneau.000000000000.js",
        "/static/css/nulle-part.css",
    ],
)
def test_only_the_static_files_are_served(client, path):
    assert client.get(path).status_code == 404
