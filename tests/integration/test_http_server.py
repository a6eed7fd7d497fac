"""`creneau serve` as an operator starts it (uvicorn in a subprocess, tests/server.py):
compressed pages over a real socket, uvloop and httptools, and the access log off unless
debugging."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import brotli
import httpx
import pytest

from tests.integration.helpers import PATHS
from tests.server import running_server

STARTED_FAST = "Serveur HTTP : uvloop, httptools ; "
# What uvicorn's access log writes for the health checks tests/server.py makes until the
# server answers (at least one answered 200 before the server is handed to a test).
HEALTH_LINE = '"GET /healthz HTTP/1.1" 200'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The production defaults: neither debug nor the access log asked for."""
    data_dir = tmp_path_factory.mktemp("serve")
    with running_server(data_dir, CRENEAU_DEBUG="", CRENEAU_ACCESS_LOG="") as base_url:
        yield base_url, data_dir / "server.log"


def raw_get(client: httpx.Client, path: str, accept_encoding: str) -> tuple[httpx.Response, bytes]:
    with client.stream("GET", path, headers={"Accept-Encoding": accept_encoding}) as response:
        return response, b"".join(response.iter_raw())


def test_a_page_is_compressed_only_for_a_client_that_accepts_it(server):
    base_url, _ = server
    with httpx.Client(base_url=base_url) as client:
        client.get(PATHS[1])  # the CSRF cookie: the same token in every page from now on
        del client.headers["accept-encoding"]
        plain = client.get(PATHS[1])
        assert "accept-encoding" not in plain.request.headers
        assert plain.status_code == 200
        assert "content-encoding" not in plain.headers
        assert plain.content.startswith(b"<!doctype html>")

        compressed, sent = raw_get(client, PATHS[1], "gzip")
        assert compressed.headers["content-encoding"] == "gzip"
        assert "Accept-Encoding" in compressed.headers["vary"]
        assert int(compressed.headers["content-length"]) == len(sent) < len(plain.content) / 2
        assert gzip.decompress(sent) == plain.content

        compressed, sent = raw_get(client, PATHS[1], "gzip, deflate, br, zstd")
        assert compressed.headers["content-encoding"] == "br"
        assert brotli.decompress(sent) == plain.content


def test_the_server_runs_on_uvloop_and_httptools_without_access_log(server):
    base_url, log = server
    assert httpx.get(f"{base_url}/healthz").status_code == 200
    text = log.read_text(errors="replace")
    assert f"{STARTED_FAST}journal des requêtes désactivé" in text
    assert HEALTH_LINE not in text
    assert "/rendez-vous/type" not in text


def test_debugging_turns_the_access_log_on(tmp_path):
    with running_server(tmp_path, CRENEAU_DEBUG="true", CRENEAU_ACCESS_LOG=""):
        text = (tmp_path / "server.log").read_text(errors="replace")
    assert f"{STARTED_FAST}journal des requêtes activé" in text
    assert HEALTH_LINE in text
