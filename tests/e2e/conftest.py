"""Browser tests: the real server in a subprocess, Debian's Chromium driven by Playwright.

Every test in this folder gets the `e2e` marker (`pytest -m "not e2e"` leaves them out).
Without /usr/bin/chromium they skip, except under CI=true where they fail loudly.

The server and the browser live as long as this package's tests, not the whole session:
Playwright's sync API keeps an event loop running in the main thread, and the other tests
call asyncio.run() (migrations, fixtures), which refuses to run inside it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import Axe, PageWatch

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
SERVER_START_TIMEOUT = 60.0

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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _log_tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="package")
def server_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's data folder: its SQLite database and its secret key."""
    return tmp_path_factory.mktemp("creneau-e2e")


@pytest.fixture(scope="package")
def server_url(server_data_dir: Path) -> Iterator[str]:
    """`creneau serve` on a free port of 127.0.0.1, with a fresh data folder (demo commune)."""
    _require_chromium()  # no browser: do not even start the server
    data_dir = server_data_dir
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "CRENEAU_DATA_DIR": str(data_dir),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "CRENEAU_PUBLIC_URL": base_url,
        "CRENEAU_DEMO": "true",
        "CRENEAU_DEBUG": "true",  # the development mailbox, as with `make run`
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DATABASE_URL", None)  # always the embedded SQLite of the fresh folder
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _healthy(f"{base_url}/healthz"):
            if process.poll() is not None:
                pytest.fail(
                    f"the server exited with code {process.returncode}:\n{_log_tail(log_path)}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the server did not answer /healthz within {SERVER_START_TIMEOUT:.0f} s:\n"
                    f"{_log_tail(log_path)}",
                    pytrace=False,
                )
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


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
