"""Browser tests: the real server in a subprocess, Debian's Chromium driven by Playwright.

Every test in this folder gets the `e2e` marker (`pytest -m "not e2e"` leaves them out).
Without /usr/bin/chromium they skip, except under CI=true where they fail loudly.

The server and the browser live as long as this package's tests, not the whole session:
Playwright's sync API keeps an event loop running in the main thread, and the other tests
call asyncio.run() (migrations, fixtures), which refuses to run inside it.

Time: the server runs frozen at the suite's instant (tests/instant.py exports it as
CRENEAU_FROZEN_NOW), and every browser context's clock starts at that same instant and runs
on from there (Playwright's clock), so the pages' scripts and the server agree on the day.

Data: the server of this package is shared by its tests (one per xdist worker): each test
asserts only on what it made itself (its own bookings, found by reference; its own staff
accounts). A test that changes the commune's configuration gets a server of its own
(`own_server`, `open_own_page`).

Screenshots (test-artifacts/screenshots/): by default only when an axe audit fails (the
audited page) or a test fails (each page it had open, `FAILED-<test>-<n>.png`). With
CRENEAU_E2E_SCREENSHOTS=1 every audited state and every photo the tests take is saved too.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import Axe, PageWatch, new_context
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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keeps each phase's report on the test, for the fixtures to see whether it failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


def has_failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(getattr(request.node, f"report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


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


@dataclass(frozen=True)
class Server:
    url: str
    data_dir: Path


def _serve(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """`creneau serve` on a free port of 127.0.0.1, with a fresh data folder (demo commune)
    and the development mailbox (CRENEAU_DEBUG, as with `make run`)."""
    _require_chromium()  # no browser: do not even start the server
    try:
        # The loopback is the citizens' reverse proxy: each browser context sends an address
        # of its own (helpers.new_context), so the per-address limits stay on.
        proxy = {"CRENEAU_TRUSTED_PROXIES": "127.0.0.1", **(env or {})}
        with running_server(data_dir, CRENEAU_DEBUG="true", **proxy) as base_url:
            yield Server(base_url, data_dir)
    except ServerFailed as failure:
        pytest.fail(str(failure), pytrace=False)


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server this package's tests share (one per xdist worker)."""
    yield from _serve(tmp_path_factory.mktemp("creneau-e2e"))


@pytest.fixture(scope="package")
def server_data_dir(server: Server) -> Path:
    """The shared server's data folder: its SQLite database, secret key and mailbox."""
    return server.data_dir


@pytest.fixture(scope="package")
def server_url(server: Server) -> str:
    return server.url


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Server]:
    """A server of this test's own: a pristine demo commune it may reconfigure."""
    data_dir = tmp_path / "own-server"
    data_dir.mkdir()
    yield from _serve(data_dir)


@pytest.fixture(scope="package")
def browser():
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


class Pages:
    """Watched pages, each in a fresh context (no cookies) on the suite's clock."""

    def __init__(self, browser, base_url: str, axe_source: str, test_name: str) -> None:
        self.browser, self.base_url, self.axe_source = browser, base_url, axe_source
        self.test_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name).strip("-")
        self.contexts: list[Any] = []
        self.watches: list[PageWatch] = []

    def __call__(
        self,
        *,
        js: bool = True,
        viewport: dict[str, int] | None = None,
        timeout_ms: int = 10_000,
        **options: Any,
    ) -> PageWatch:
        viewport = viewport or DESKTOP
        context = new_context(
            self.browser,
            self.base_url,
            java_script_enabled=js,
            viewport=viewport,
            accept_downloads=True,
            **options,
        )
        context.set_default_timeout(timeout_ms)
        self.contexts.append(context)
        axe = Axe(self.browser, self.base_url, self.axe_source, viewport, js=js)
        watch = PageWatch(context.new_page(), js=js, axe=axe, screenshots=SCREENSHOTS)
        self.watches.append(watch)
        return watch

    def close(self, *, failed: bool) -> None:
        """Photographs every page when the test failed, closes them, then checks that no
        page reported a problem."""
        if failed:
            for number, watch in enumerate(self.watches, 1):
                with contextlib.suppress(Exception):  # a page that cannot be photographed
                    watch.save_screenshot(f"FAILED-{self.test_name}-{number}")
        for watch in self.watches:
            watch.axe.close()
        for context in self.contexts:
            context.close()
        problems = [problem for watch in self.watches for problem in watch.problems]
        assert not problems, "the browser reported:\n" + "\n".join(problems)


def _pages(request, browser, base_url: str, axe_source: str) -> Iterator[Pages]:
    pages = Pages(browser, base_url, axe_source, request.node.name)
    yield pages
    pages.close(failed=has_failed(request))


@pytest.fixture
def open_page(request, browser, server_url: str, axe_source: str) -> Iterator[Callable[..., Any]]:
    """open_page(js=True, viewport=DESKTOP) -> a watched page of the shared server."""
    yield from _pages(request, browser, server_url, axe_source)


@pytest.fixture
def open_own_page(
    request, browser, own_server: Server, axe_source: str
) -> Iterator[Callable[..., Any]]:
    """open_own_page(js=True, viewport=DESKTOP) -> a watched page of `own_server`."""
    yield from _pages(request, browser, own_server.url, axe_source)
