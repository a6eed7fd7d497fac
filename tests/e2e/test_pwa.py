"""The installable app in real headless Chromium: the service worker installs and controls
the page; with the server stopped (Playwright's offline switch does not cover the service
worker's own requests) "Mes rendez-vous" and a booking open from the device; a cancellation
made offline is queued, shown as pending, then replayed once the server is back — and the
booking is cancelled exactly once, even when the same request is replayed again. Chromium
reports no installability error. Every screen is audited with axe-core (phone width).
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, Pages, has_failed
from tests.e2e.helpers import PageWatch, new_context
from tests.e2e.test_booking_flow import Citizen
from tests.e2e.test_changes import Mairie, book
from tests.instant import FIXED_NOW
from tests.server import free_port, running_server

pytestmark = pytest.mark.e2e

PENDING = "Annulation en attente d'envoi"
OFFLINE = "Vous êtes hors connexion."


class RestartableServer:
    """`creneau serve` that can be stopped and started again on the same address and data
    (the browser's service worker and cookies belong to that origin)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._stack: ExitStack | None = None

    def start(self) -> None:
        stack = ExitStack()
        stack.enter_context(running_server(self.data_dir, port=self.port, CRENEAU_DEBUG="true"))
        self._stack = stack

    def stop(self) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None


@pytest.fixture
def pwa_server(tmp_path: Path, browser) -> Iterator[RestartableServer]:
    server = RestartableServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def phone(request, browser, pwa_server: RestartableServer, axe_source: str) -> Iterator[PageWatch]:
    pages = Pages(browser, pwa_server.url, axe_source, request.node.name)
    yield pages(viewport=PHONE, timeout_ms=15_000, service_workers="allow")
    pages.close(failed=has_failed(request))


def remembered(page) -> list[dict]:
    return page.evaluate("creneauAppareil.bookings()")


def wait_until(condition, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def cached_page_urls(page) -> list[str]:
    return page.evaluate(
        "caches.open('creneau-pages').then(c => c.keys()).then(k => k.map(r => r.url))"
    )


# Rewrites the cached "Mes rendez-vous" as an older release rendered it: every static
# file under another digest. Returns how many addresses it changed.
OLDER_RELEASE_COPY = """() => caches.open('creneau-pages').then(cache =>
  cache.match('/mes-rendez-vous').then(response => response.text()).then(html => {
    const older = /(\\/static\\/[^"]+\\.)[0-9a-f]{12}(\\.[a-z]+")/g;
    const count = (html.match(older) || []).length;
    return cache.put('/mes-rendez-vous', new Response(html.replace(older, '$10123456789ab$2'),
      {headers: {'Content-Type': 'text/html; charset=utf-8'}})).then(() => count);
  }))"""
LOADED_STYLESHEETS = """Array.from(document.styleSheets).filter(sheet => {
  try { return sheet.cssRules.length > 0; } catch (error) { return false; }
}).length"""


def test_offline_list_detail_and_cancel_replayed_once(
    phone: PageWatch, pwa_server: RestartableServer
) -> None:
    page = phone.page
    mairie = Mairie(pwa_server.data_dir)
    citizen = Citizen(phone, "pwa")
    reference = book(citizen)

    # The worker installs and takes control; the booking is remembered with its links.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    wait_until(lambda: page.evaluate("Boolean(navigator.serviceWorker.controller)"), "control")
    wait_until(lambda: [b["reference"] for b in remembered(page)] == [reference], "the memo")
    memo = remembered(page)[0]
    assert memo["cancel"].startswith("/rendez-vous/annuler/")
    assert "Dupont" not in str(memo) and "camille" not in str(memo).lower()
    wait_until(
        lambda: any(url.endswith(memo["cancel"]) for url in cached_page_urls(page)),
        "the cancel page in the cache",
    )

    # htmx asks for the cancel page's fragment: kept apart (Vary: HX-Request).
    fragment = page.evaluate(
        "url => fetch(url, {headers: {'HX-Request': 'true'}}).then(r => r.text())", memo["cancel"]
    )
    assert "<html" not in fragment.lower() and 'id="etape"' in fragment

    page.goto("/mes-rendez-vous")
    card = page.locator(".rendez-vous-carte")
    expect(card).to_have_count(1)
    expect(card).to_contain_text(reference)
    expect(card).to_contain_text("Confirmé")
    # Hours as every other page writes them, « 8 h 05 », not « 08:05 » (issue 13).
    expect(card.locator(".appareil__maj")).to_have_text(
        re.compile(
            r"^Dernière mise à jour\u00a0: \d{1,2}(er)? \w+ \d{4} "
            r"à \d{1,2}\u00a0h(\u00a0\d\d)?$"
        )
    )
    expect(page.locator("#bandeau-hors-ligne")).to_be_hidden()
    phone.audit("pwa-mes-rendez-vous-en-ligne")

    # The copy kept of this page may come from an older release, naming older versions of
    # the static files (their addresses name their content): offline, the shell's copies
    # of the same files stand in.
    wait_until(
        lambda: any(url.endswith("/mes-rendez-vous") for url in cached_page_urls(page)),
        "the page in the cache",
    )
    assert page.evaluate(OLDER_RELEASE_COPY) > 0

    pwa_server.stop()
    page.reload()
    assert page.evaluate(LOADED_STYLESHEETS) >= 2  # the shell's CSS, not a network error
    # Offline, a page request never gets a fragment, and htmx never gets a page.
    whole = page.evaluate("url => fetch(url).then(r => r.text())", memo["cancel"])
    assert whole.lstrip().lower().startswith("<!doctype html>") and "alertdialog" in whole
    hx_fetch = "url => fetch(url, {headers: {'HX-Request': 'true'}}).then(r => r.text())"
    assert page.evaluate(hx_fetch, memo["cancel"]) == fragment
    assert (
        page.evaluate(
            "() => fetch('/mes-rendez-vous', {headers: {'HX-Request': 'true'}})"
            ".then(() => 'page', () => 'network error')"
        )
        == "network error"
    )
    expect(page.locator("#bandeau-hors-ligne")).to_be_visible()
    expect(page.locator("#bandeau-hors-ligne")).to_contain_text(OFFLINE)
    expect(card).to_contain_text(reference)
    phone.audit("pwa-mes-rendez-vous-hors-ligne")

    card.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/mes-rendez-vous/rendez-vous#"))
    detail = page.locator("#appareil-detail")
    expect(detail).to_contain_text(reference)
    expect(detail).to_contain_text(memo["date"])
    phone.audit("pwa-rendez-vous-hors-ligne")

    # Modifying needs fresh availability: said plainly.
    page.get_by_role("link", name="Modifier ce rendez-vous").click()
    expect(page.locator("h1")).to_have_text("Modifier un rendez-vous demande une connexion")
    phone.audit("pwa-modification-hors-ligne")
    page.go_back()

    # Cancelling offline: the cancel page comes from the cache, the POST is queued.
    page.get_by_role("link", name="Annuler ce rendez-vous").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(reference)
    dialog.get_by_role("button", name="Oui, annuler le rendez-vous").click()
    expect(page).to_have_url(re.compile(r"/mes-rendez-vous$"))
    expect(card).to_contain_text(PENDING)
    expect(page.locator("#appareil-attente")).to_be_visible()
    phone.audit("pwa-annulation-en-attente")
    queued = page.evaluate("creneauAppareil.queued()")
    assert [entry["url"] for entry in queued] == [memo["cancel"]]
    assert queued[0]["fields"]["_csrf_token"] and queued[0]["fields"]["choix"] == "annuler"
    assert mairie.booking(reference)["status"] == "confirmed"

    # The server is back: the queue is replayed, the booking cancelled once.
    pwa_server.start()
    page.reload()
    expect(card).to_contain_text("Annulé", timeout=20_000)
    expect(page.locator("#appareil-attente")).to_be_hidden()
    assert page.evaluate("creneauAppareil.queued()") == []
    booking = mairie.booking(reference)
    assert (booking["status"], booking["sequence"]) == ("cancelled", 1)
    mairie.wait_for_emails(reference, 2)

    # The same request replayed again is answered as already done; nothing changes.
    page.evaluate("entry => creneauAppareil.enqueue(entry)", queued[0])
    page.evaluate(
        "navigator.serviceWorker.ready.then(r => r.active.postMessage({type: 'rejouer'}))"
    )
    wait_until(lambda: page.evaluate("creneauAppareil.queued()") == [], "the second replay")
    expect(card).to_contain_text("Annulé")
    assert mairie.booking(reference)["sequence"] == 1
    mairie.wait_until_delivered(reference)  # a second cancellation would be sent by now
    subjects = [message["Subject"] for message in mairie.emails_about(reference)]
    assert len(subjects) == 2, subjects

    # "Oublier cet appareil" removes what the device kept.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Oublier cet appareil").click()
    expect(page.locator("#appareil-etat")).to_have_text("Cet appareil a oublié vos rendez-vous.")
    expect(page.locator("#appareil-etat")).to_be_focused()
    expect(page.locator("#appareil-liste")).to_contain_text("Aucun rendez-vous")
    assert remembered(page) == []
    assert not any(url.endswith(memo["cancel"]) for url in cached_page_urls(page))
    phone.audit("pwa-appareil-oublie")


def test_chromium_reports_no_installability_error(browser, pwa_server: RestartableServer) -> None:
    """Through the DevTools protocol, in a profile on disk (an incognito-like context is
    never installable)."""
    with tempfile.TemporaryDirectory() as profile:
        context = browser.browser_type.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            base_url=pwa_server.url,
            locale="fr-FR",
            timezone_id="Europe/Paris",
        )
        context.clock.install(time=FIXED_NOW)
        try:
            page = context.new_page()
            page.goto("/mes-rendez-vous")
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            page.reload()
            assert page.evaluate("Boolean(navigator.serviceWorker.controller)")
            cdp = context.new_cdp_session(page)
            assert cdp.send("Page.getInstallabilityErrors") == {"installabilityErrors": []}
            manifest = cdp.send("Page.getAppManifest")
            assert manifest["errors"] == []
            assert '"display": "standalone"' in manifest["data"]
            # The browser offers installation: our invitation appears (never on its own).
            expect(page.get_by_role("button", name="Installer l'application")).to_be_visible()
        finally:
            context.close()


def test_the_browser_runs_at_the_suites_instant(open_page) -> None:
    """The pages' scripts (the device's memory drops bookings a month past their end) see
    the server's day: the browser's clock starts at the suite's instant and runs on, its
    timers fire, in Paris time."""
    page = open_page(js=True, viewport=PHONE).page
    page.goto("/mes-rendez-vous")
    start = FIXED_NOW.timestamp() * 1000
    now = page.evaluate("Date.now()")
    assert start <= now < start + 10 * 60 * 1000, (now, start)
    later = page.evaluate("new Promise(done => setTimeout(() => done(Date.now()), 50))")
    assert later >= now + 50
    offset = FIXED_NOW.astimezone(ZoneInfo("Europe/Paris")).utcoffset()
    assert page.evaluate("new Date().getTimezoneOffset()") == -offset.total_seconds() / 60
    expect(page.locator("#appareil-liste")).to_contain_text("Aucun rendez-vous")


def test_the_device_pages_say_what_they_need_without_javascript(open_page) -> None:
    watch = open_page(js=False, viewport=PHONE)
    page = watch.page
    page.goto("/mes-rendez-vous")
    expect(page.locator("h1")).to_have_text("Mes rendez-vous")
    expect(page.locator("#appareil-liste")).to_contain_text("demande JavaScript")
    expect(page.get_by_role("button", name="Oublier cet appareil")).to_be_hidden()
    watch.audit("pwa-sans-js-mes-rendez-vous")
    page.goto("/hors-ligne")
    expect(page.locator("h1")).to_have_text("Vous êtes hors connexion")
    watch.audit("pwa-sans-js-hors-ligne")


def test_the_worker_shows_a_pushed_message_as_a_notification(
    browser, pwa_server: RestartableServer
) -> None:
    """The push service's delivery is simulated through the DevTools protocol (headless
    Chromium has no push service); the payload is the one the "push" channel sends."""
    context = new_context(browser, pwa_server.url)
    try:
        context.grant_permissions(["notifications"], origin=pwa_server.url)
        page = context.new_page()
        page.goto("/mes-rendez-vous")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        cdp = context.new_cdp_session(page)
        registrations: list[dict] = []
        versions: list[dict] = []
        cdp.on(
            "ServiceWorker.workerRegistrationUpdated",
            lambda event: registrations.extend(event["registrations"]),
        )
        cdp.on(
            "ServiceWorker.workerVersionUpdated",
            lambda event: versions.extend(event["versions"]),
        )
        cdp.send("ServiceWorker.enable")

        def active_registration() -> str | None:
            """The registration whose worker is activated (a message pushed to one still
            installing would be lost)."""
            live = {r["registrationId"] for r in registrations if not r.get("isDeleted")}
            for version in reversed(versions):
                if version["registrationId"] in live and version["status"] == "activated":
                    return version["registrationId"]
            return None

        wait_until_pumped(
            page,
            active_registration,
            "the worker's activation",
            details=lambda: f"registrations {registrations}, versions {versions}",
        )
        payload = {
            "title": "Rappel : rendez-vous demain",
            "body": "CCAS — aide sociale, le mardi 1 décembre 2026 à 10 h 00. Référence RDV-1.",
            "url": "/mes-rendez-vous",
            "tag": "RDV-1",
        }
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": pwa_server.url,
                "registrationId": active_registration(),
                "data": json.dumps(payload),
            },
        )
        shown = (
            "navigator.serviceWorker.ready.then(r => r.getNotifications())"
            ".then(list => list.map(n => [n.title, n.body, n.tag, n.data.url]))"
        )
        wait_until_pumped(
            page,
            lambda: page.evaluate(shown),
            "the notification",
            details=lambda: f"versions {versions[-3:]}",
        )
        assert page.evaluate(shown) == [
            [payload["title"], payload["body"], "RDV-1", "/mes-rendez-vous"]
        ]
    finally:
        context.close()


def wait_until_pumped(
    page, condition, what: str, timeout_ms: int = 10_000, details=lambda: ""
) -> None:
    """Like wait_until, but lets Playwright deliver DevTools events meanwhile."""
    for _ in range(timeout_ms // 100):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {what} {details()}")
