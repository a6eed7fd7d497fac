"""What every answer says about itself: no public map of the application (no OpenAPI
schema), and HTTPS remembered by browsers (HSTS) when the service runs behind HTTPS."""

from __future__ import annotations

import dataclasses

import pytest
from litestar.testing import TestClient

from tests.conftest import application
from tests.integration.helpers import PATHS

HSTS = "max-age=63072000; includeSubDomains"


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger", "/schema/openapi.json"])
def test_the_api_schema_is_not_published(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "/admin" not in response.text
    assert "Page introuvable" in response.text


@pytest.fixture
def https_client(settings, clock):
    """The service as deployed behind HTTPS (CRENEAU_SECURE_COOKIES on)."""
    app = application(dataclasses.replace(settings, secure_cookies=True), clock)
    with TestClient(app, base_url="https://127.0.0.1") as client:
        yield client


def test_behind_https_every_answer_asks_browsers_to_keep_to_https(https_client):
    answers = {
        "page": https_client.get(PATHS[1]),
        "redirect": https_client.get("/", follow_redirects=False),
        "static file": https_client.get("/static/css/creneau.css"),
        "unknown address": https_client.get("/nulle-part"),
        "refused form": https_client.post(PATHS[1], data={"type_id": "1"}),
        "health check": https_client.get("/healthz"),
    }
    assert {name: r.status_code for name, r in answers.items()} == {
        "page": 200,
        "redirect": 303,
        "static file": 200,
        "unknown address": 404,
        "refused form": 403,
        "health check": 200,
    }
    for name, response in answers.items():
        assert response.headers.get("strict-transport-security") == HSTS, name
        # The other security headers are on every answer too, error pages included.
        assert response.headers.get("x-content-type-options") == "nosniff", name
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], name


def test_plain_http_development_sends_no_hsts(client):
    """On `make run` (http://127.0.0.1) HSTS would make the browser refuse the address."""
    for response in (client.get(PATHS[1]), client.get("/nulle-part")):
        assert "strict-transport-security" not in response.headers
