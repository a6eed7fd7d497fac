"""What the browser tests share: browser contexts on the suite's clock, a watched page,
axe-core audits, screenshots, and finding a free slot on a week's page."""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.instant import FIXED_NOW

PARIS = ZoneInfo("Europe/Paris")
# The suite's day in Paris, the day the server thinks it is.
TODAY = FIXED_NOW.astimezone(PARIS).date()

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_RUN = (
    "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
)
SCRIPT_TAG = re.compile(r"<script\b[^>]*>.*?</script>", re.IGNORECASE | re.DOTALL)

# Console lines that are expected: a 422 or a 404 is logged by Chromium (and by htmx).
EXPECTED_CONSOLE = ("Failed to load resource", "Response Status Error Code")

# CRENEAU_E2E_SCREENSHOTS=1: every screenshot is saved (each audited state and the photos
# taken on the way), for people to look at the screens. Otherwise only failures are.
SCREENSHOTS_ALL = os.environ.get("CRENEAU_E2E_SCREENSHOTS", "").strip().lower() in {
    "1",
    "true",
    "yes",
}


_ADDRESSES = itertools.count(1)


def citizen_address() -> str:
    """An address of its own for each browser context (198.18.0.0/15, kept for tests): the
    servers trust the loopback as their reverse proxy (CRENEAU_TRUSTED_PROXIES), so each
    context is a citizen of their own for the per-address limits, as on a real town's site."""
    n = next(_ADDRESSES)
    return f"198.{18 + n // 65536 % 2}.{n // 256 % 256}.{n % 256}"


def new_context(browser, base_url: str, **options: Any):
    """A browser context of the French town hall's citizens (locale, Paris time zone, an
    address of their own) whose clock starts at the suite's instant (tests/instant.py) and
    runs on from there: the pages' scripts (Date.now(), timers) see the same day as the
    server."""
    headers = {"X-Forwarded-For": citizen_address(), **options.pop("extra_http_headers", {})}
    options = {
        "locale": "fr-FR",
        "timezone_id": "Europe/Paris",
        "extra_http_headers": headers,
        **options,
    }
    context = browser.new_context(base_url=base_url, **options)
    context.clock.install(time=FIXED_NOW)
    return context


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact')}): {violation['help']} "
            f"<{violation['helpUrl']}>"
        )
        for node in violation["nodes"][:8]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:400]}")
    return "\n".join(lines)


class Axe:
    """Runs axe-core on a page, with WCAG 2.1 A and AA rules.

    With JavaScript on, axe is injected through the DevTools protocol (the page's CSP
    allows no inline script, and none is needed). With JavaScript off, timers never fire so
    axe cannot run in that page: the page's DOM is then audited in a mirror, a
    JavaScript-enabled page of the same size on the same origin, given the same HTML without
    its scripts (the same CSS then loads) and the same address. The mirror is one page for
    all the audits of a watched page: its window, and the axe-core injected in it, outlive
    each new document written into it.
    """

    MIRROR_PATH = "/__axe_mirror__"  # answered by the mirror's own route, not the server

    def __init__(self, browser, base_url: str, source: str, viewport: dict[str, int], *, js: bool):
        self.browser = browser
        self.base_url = base_url
        self.source = source
        self.viewport = viewport
        self.js = js
        self._mirror_context = None
        self._mirror = None

    def run(self, page) -> list[dict[str, Any]]:
        return self._run_in(page if self.js else self._mirror_of(page))

    def _run_in(self, page) -> list[dict[str, Any]]:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(self.source)
        return page.evaluate(AXE_RUN, WCAG_21_AA)["violations"]

    def _mirror_of(self, page):
        html = SCRIPT_TAG.sub("", page.content())
        if self._mirror is None:
            self._mirror_context = new_context(self.browser, self.base_url, viewport=self.viewport)
            self._mirror = self._mirror_context.new_page()
            self._mirror.route(
                f"{self.base_url}{self.MIRROR_PATH}",
                lambda route: route.fulfill(
                    status=200,
                    content_type="text/html; charset=utf-8",
                    body="<!DOCTYPE html><title>axe</title>",
                ),
            )
            self._mirror.goto(self.MIRROR_PATH)  # the origin of the page's CSS and images
        self._mirror.set_content(html)  # waits for its stylesheets and images
        self._mirror.evaluate("url => history.replaceState(null, '', url)", page.url)
        return self._mirror

    def close(self) -> None:
        if self._mirror_context is not None:
            self._mirror_context.close()


@dataclass
class PageWatch:
    """A page plus what went wrong in it (uncaught errors, CSP refusals, 5xx answers)."""

    page: Any
    js: bool
    axe: Axe
    screenshots: Path
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("console", self._console)
        self.page.on("response", self._response)

    def _console(self, message) -> None:
        if message.type != "error" or message.text.startswith(EXPECTED_CONSOLE):
            return
        self.problems.append(f"console error on {self.page.url}: {message.text}")

    def _response(self, response) -> None:
        if response.status >= 500:
            self.problems.append(f"{response.status} on {response.request.method} {response.url}")

    def save_screenshot(self, name: str) -> Path:
        """A full-page screenshot in test-artifacts/screenshots/, whatever the switch."""
        self.screenshots.mkdir(parents=True, exist_ok=True)
        path = self.screenshots / f"{name}.png"
        # caret="initial": hiding the caret injects a <style> that the page's CSP refuses.
        self.page.screenshot(path=str(path), full_page=True, caret="initial")
        return path

    def screenshot(self, name: str) -> Path | None:
        """A photo for people to look at: saved with CRENEAU_E2E_SCREENSHOTS=1 only."""
        return self.save_screenshot(name) if SCREENSHOTS_ALL else None

    def audit(self, name: str) -> None:
        """Zero WCAG 2.1 AA violation according to axe-core; the full page is photographed
        when it fails (and always with CRENEAU_E2E_SCREENSHOTS=1)."""
        # The document whole: its HTML parsed and its stylesheets applied. (The callers
        # first wait for what the new state shows: a form's answer is not yet the page.)
        self.page.wait_for_load_state("load")
        self.screenshot(name)
        violations = self.axe.run(self.page)
        if violations and not SCREENSHOTS_ALL:
            self.save_screenshot(name)
        assert not violations, (
            f"axe-core found {len(violations)} WCAG 2.1 AA violation(s) on {name} "
            f"({self.page.url}, JavaScript {'on' if self.js else 'off'}):\n"
            + describe_violations(violations)
        )

    def assert_clean(self) -> None:
        problems, self.problems = self.problems, []
        assert not problems, "the browser reported:\n" + "\n".join(problems)


def offered_slots(page, *, at_least: int = 1, follow=None, weeks: int = 8):
    """The radios of the week a slot page shows (the citizen's step 5, an agent's booking or
    move), once that week offers `at_least` of them: until then, the following weeks.

    Which week has free places depends on the instant (late on a Saturday the week is over,
    after 31 December come holidays) and on what other tests booked, so nothing is assumed:
    what the page offers is free. `follow(link)` activates the "Semaine suivante" link
    (default: a click; the keyboard tests pass their own)."""
    slots = page.locator("input[name='creneau']")
    week = page.locator("#semaine")
    for _ in range(weeks):
        if slots.count() >= at_least:
            return slots
        shown = week.inner_text()
        link = page.get_by_role("link", name="Semaine suivante")
        (follow or (lambda locator: locator.click()))(link)
        expect(week).not_to_have_text(shown)
    raise AssertionError(f"no week with {at_least} free slot(s) within {weeks} weeks")
