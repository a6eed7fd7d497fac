"""Browser tests: the real server in a subprocess, Debian's Chromium driven by Playwright.

Every test in this folder gets the `e2e` marker (`pytest -m "not e2e"` leaves them out).
Without /usr/bin/chromium they skip, except under CI=true where they fail loudly.

The server and the browser live as long as this package's tests, not the whole session:
Playwright's sync API keeps an event loop running in the main thread, and the other tests
call asyncio.run() (migrations, fixtures), which refuses to run inside it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import Axe, PageWatch
from tests.server import ServerFailed, running_server

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Debian's package; another build can be named with CRENEAU_E2E_CHROMIUM (never downloaded).
CHROMIUM = Path(os.environ.get("CRENEAU_E2E_CHROMIUM") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
AXE_SOURCE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = (
        f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium) "
        "to run the browser tests; Playwright's own browser downloads are not used."
    )
    if _in_ci():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def server_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's data folder: its SQLite database and its secret key."""
    return tmp_path_factory.mktemp("creneau-e2e")


@pytest.fixture(scope="package")
def server_url(server_data_dir: Path) -> Iterator[str]:
    """`creneau serve` on a free port of 127.0.0.1, with a fresh data folder (demo commune)."""
    _require_chromium()  # no browser: do not even start the server
    try:
        # CRENEAU_DEBUG: the development mailbox, as with `make run`.
        with running_server(server_data_dir, CRENEAU_DEBUG="true") as base_url:
            yield base_url
    except ServerFailed as failure:
        pytest.fail(str(failure), pytrace=False)


@pytest.fixture(scope="package")
def browser(server_url: str):
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="package")
def axe_source() -> str:
    if not AXE_SOURCE.exists():
        pytest.fail(f"{AXE_SOURCE} is missing: run `npm ci` at the project root.", pytrace=False)
    return AXE_SOURCE.read_text()


@pytest.fixture
def open_page(browser, server_url: str, axe_source: str) -> Iterator[Callable[..., PageWatch]]:
    """open_page(js=True, viewport=DESKTOP) -> a watched page in a fresh context (no cookies)."""
    contexts = []
    watches: list[PageWatch] = []

    def open_(*, js: bool = True, viewport: dict[str, int] | None = None) -> PageWatch:
        viewport = viewport or DESKTOP
        context = browser.new_context(
            base_url=server_url,
            java_script_enabled=js,
            viewport=viewport,
            locale="fr-FR",
            timezone_id="Europe/Paris",
            accept_downloads=True,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        axe = Axe(browser, server_url, axe_source, viewport, js=js)
        watch = PageWatch(context.new_page(), js=js, axe=axe, screenshots=SCREENSHOTS)
        watches.append(watch)
        return watch

    yield open_
    for watch in watches:
        watch.axe.close()
    for context in contexts:
        context.close()
    problems = [problem for watch in watches for problem in watch.problems]
    assert not problems, "the browser reported:\n" + "\n".join(problems)
