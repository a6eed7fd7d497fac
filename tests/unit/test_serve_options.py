"""How `creneau serve` starts uvicorn: uvloop and httptools where they import, uvicorn's
own choice where they do not (it must start all the same), the access log as set."""

from __future__ import annotations

import sys

import pytest

from app.cli import core
from app.settings import Settings


def test_uvloop_and_httptools_are_named_when_installed():
    # Both are dependencies of the project: this machine has them.
    options = core.uvicorn_options(access_log=False)
    assert options["loop"] == "uvloop"
    assert options["http"] == "httptools"
    assert options["access_log"] is False
    assert options["proxy_headers"] is False  # X-Forwarded-For: CRENEAU_TRUSTED_PROXIES only
    assert core.describe(options) == (
        "Serveur HTTP : uvloop, httptools ; journal des requêtes désactivé (CRENEAU_ACCESS_LOG)."
    )


@pytest.mark.parametrize("missing", ["uvloop", "httptools"])
def test_without_one_of_them_uvicorn_chooses(monkeypatch, missing):
    monkeypatch.setitem(sys.modules, missing, None)  # `import missing` now fails
    options = core.uvicorn_options(access_log=True)
    key = {"uvloop": "loop", "httptools": "http"}[missing]
    assert options[key] == "auto"
    assert options[{"loop": "http", "http": "loop"}[key]] != "auto"
    assert f"{missing} absent" in core.describe(options)
    assert "journal des requêtes activé" in core.describe(options)


def test_a_module_that_fails_to_load_counts_as_missing(monkeypatch):
    """A wheel built for another machine is found but fails to import: still no crash."""

    def broken(name):
        raise ImportError(f"{name}: undefined symbol")

    monkeypatch.setattr(core.importlib, "import_module", broken)
    options = core.uvicorn_options(access_log=False)
    assert (options["loop"], options["http"]) == ("auto", "auto")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, False),
        ({"CRENEAU_DEBUG": "1"}, True),
        ({"CRENEAU_ACCESS_LOG": "oui"}, True),
        ({"CRENEAU_DEBUG": "1", "CRENEAU_ACCESS_LOG": "0"}, False),
        ({"CRENEAU_DEBUG": "0", "CRENEAU_ACCESS_LOG": ""}, False),
    ],
)
def test_the_access_log_is_off_unless_debugging_or_asked(tmp_path, env, expected):
    settings = Settings.from_env({"CRENEAU_DATA_DIR": str(tmp_path), **env})
    assert settings.access_log is expected
    assert core.uvicorn_options(access_log=settings.access_log)["access_log"] is expected
