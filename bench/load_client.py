"""The load generator, in its own process: simulated citizens over real HTTP (aiohttp).

Driven by the benchmark through its standard streams, one JSON object a line:
the spec comes in, `{"event": "ready"}` goes out once every draft is prepared (untimed),
`go` comes in, then `{"event": "result", ...}` goes out with every timed request.

Each citizen is a browser of its own: its own cookies (the draft and the CSRF cookie), its
own keep-alive connection, the CSRF token read from the last form it was shown, redirects
followed one by one (each is a timed request, as a browser makes it). With `htmx`, every
timed request carries `HX-Request: true`, as htmx sends it for a citizen with JavaScript,
and the server answers with the step's fragment instead of the whole page.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from urllib.parse import urlsplit

import aiohttp

from bench.servers import machine_busy_ticks, process_cpu_seconds

CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')
SLOT_RE = re.compile(r'name="creneau" id="creneau-\d+" value="([^"]+)"')
VERSION_RE = re.compile(r'name="version" value="([^"]+)"')
REDIRECTS = {301, 302, 303, 307, 308}
STEP5, RECAP, CONFIRMATION = (
    "/rendez-vous/creneau",
    "/rendez-vous/recapitulatif",
    "/rendez-vous/confirmation",
)
MAX_REQUESTS_PER_CITIZEN = 400


class Recorder:
    def __init__(self) -> None:
        self.origin = time.perf_counter()
        # kind -> [(start s since origin, latency ms, status)]
        self.requests: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
        self.confirmed_at: list[float] = []

    def restart(self) -> None:
        self.origin = time.perf_counter()

    def add(self, kind: str, started: float, ended: float, status: int) -> None:
        self.requests[kind].append(
            (round(started - self.origin, 4), round((ended - started) * 1000, 3), status)
        )


class Browser:
    def __init__(self, base_url: str, recorder: Recorder, *, htmx: bool) -> None:
        self.session = aiohttp.ClientSession(
            base_url=base_url,
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies of 127.0.0.1 too
            connector=aiohttp.TCPConnector(limit=1),
            timeout=aiohttp.ClientTimeout(total=300),
        )
        self.recorder = recorder
        self.htmx = htmx
        self.csrf = ""

    async def request(
        self, method: str, path: str, kind: str, data: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        """(status, redirect path or "", body)."""
        headers = {"HX-Request": "true"} if self.htmx and kind != "prepare" else {}
        if data is not None:
            data = {**data, "_csrf_token": self.csrf}
        started = time.perf_counter()
        try:
            async with self.session.request(
                method, path, data=data, headers=headers, allow_redirects=False
            ) as response:
                body = await response.text()
                status = response.status
                location = urlsplit(response.headers.get("Location", "")).path
        except (aiohttp.ClientError, TimeoutError):
            status, location, body = 599, "", ""  # counted as a server failure
        self.recorder.add(kind, started, time.perf_counter(), status)
        if match := CSRF_RE.search(body):
            self.csrf = match.group(1)
        return status, location, body

    async def close(self) -> None:
        await self.session.close()


def contact(n: int) -> dict[str, str]:
    """A distinct person each time (per-citizen limits recognise people by email/phone)."""
    return {
        "last_name": "Citoyen",
        "first_name": f"Numéro {n}",
        "email": f"citoyen{n}@example.org",
        "phone": f"06{10_000_000 + n:08d}",
    }


async def prepare_draft(browser: Browser, type_id: int, n: int) -> None:
    """Steps 1 to 4 answered through the real routes; the draft then waits at step 5."""
    await browser.request("GET", "/rendez-vous/type", "prepare")
    answers = [
        ("/rendez-vous/type", {"type_id": str(type_id)}),
        ("/rendez-vous/informations", {}),
        ("/rendez-vous/personnes", {"people": "1"}),
        ("/rendez-vous/coordonnees", contact(n)),
    ]
    location = ""
    for path, data in answers:
        status, location, body = await browser.request("POST", path, "prepare", data)
        if status not in REDIRECTS:
            raise RuntimeError(f"preparing a draft: POST {path} answered {status}: {body[:300]}")
    if location != STEP5:
        raise RuntimeError(f"after step 4 the server sent {location!r}, not {STEP5}")


async def prepare_all(browsers: list[Browser], type_id: int, concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int, browser: Browser) -> None:
        async with gate:
            await prepare_draft(browser, type_id, n)

    await asyncio.gather(*(one(n, b) for n, b in enumerate(browsers)))


class Usage:
    """CPU of the server, of this load generator and of the whole machine over a window."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid

    def start(self) -> None:
        self.t0 = time.perf_counter()
        self.server0 = process_cpu_seconds(self.server_pid)
        self.client0 = time.process_time()
        self.machine0 = machine_busy_ticks()

    def stop(self) -> dict[str, float]:
        wall = time.perf_counter() - self.t0
        busy, total = machine_busy_ticks()
        return {
            "wall_s": wall,
            "server_cpu": (process_cpu_seconds(self.server_pid) - self.server0) / wall,
            "client_cpu": (time.process_time() - self.client0) / wall,
            "machine_busy": (busy - self.machine0[0]) / max(total - self.machine0[1], 1),
        }


async def wait_for_go() -> None:
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if line.strip() != "go":
        raise SystemExit(f"expected 'go', got {line!r}")


def say(event: dict) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


# --- steady load on one page -----------------------------------------------------------


async def loop_mode(spec: dict) -> dict:
    recorder = Recorder()
    browsers = [Browser(spec["base"], recorder, htmx=spec["htmx"]) for _ in range(spec["clients"])]
    if spec.get("type_id"):
        await prepare_all(browsers, spec["type_id"], spec["clients"])
    say({"event": "ready"})
    await wait_for_go()
    recorder.restart()
    warmup, duration = spec["warmup"], spec["duration"]
    usage = Usage(spec["server_pid"])

    count = spec.get("count")  # a fixed number of requests per client instead of a duration

    async def client(browser: Browser) -> None:
        if count:
            for _ in range(count):
                await browser.request("GET", spec["path"], "page")
            return
        while time.perf_counter() - recorder.origin < warmup + duration:
            await browser.request("GET", spec["path"], "page")

    if count:
        usage.start()
        await asyncio.gather(*(client(b) for b in browsers))
        measured = usage.stop()
        await asyncio.gather(*(b.close() for b in browsers))
        rows = recorder.requests["page"]
        return {
            "latencies": [latency for _, latency, _ in rows],
            "statuses": Counter(str(status) for _, _, status in rows),
            "duration": measured["wall_s"],
            "usage": measured,
        }

    async def measure() -> dict:
        await asyncio.sleep(warmup)
        usage.start()
        await asyncio.sleep(duration)
        return usage.stop()

    measured, *_ = await asyncio.gather(measure(), *(client(b) for b in browsers))
    await asyncio.gather(*(b.close() for b in browsers))
    window = [
        (latency, status)
        for started, latency, status in recorder.requests["page"]
        if warmup <= started + latency / 1000 <= warmup + duration  # answered in the window
    ]
    return {
        "latencies": [latency for latency, _ in window],
        "statuses": Counter(str(status) for _, status in window),
        "duration": duration,
        "usage": measured,
    }


# --- the rush ------------------------------------------------------------------------------


async def rush_citizen(browser: Browser, rng: random.Random, spec: dict, tally: Counter) -> None:
    think = spec["think_ms"] / 1000
    status, location, body = await browser.request("GET", STEP5, "step5_get")
    page = STEP5
    for _ in range(MAX_REQUESTS_PER_CITIZEN):
        if status >= 500:
            tally["ended_on_server_error"] += 1
            return
        if status in REDIRECTS:
            page = location
            kind = {STEP5: "step5_get", RECAP: "recap_get", CONFIRMATION: "confirmation_get"}
            status, location, body = await browser.request("GET", page, kind.get(page, "other"))
            continue
        if think:
            await asyncio.sleep(rng.uniform(0, 2 * think))
        if page == STEP5:
            slots = SLOT_RE.findall(body)
            if not slots:
                tally["gave_up"] += 1
                return
            choice = rng.choice(slots[: spec["pick_among"]])
            status, location, body = await browser.request(
                "POST", STEP5, "step5_post", {"creneau": choice}
            )
            if status == 422:
                tally["refused_at_step5"] += 1
        elif page == RECAP:
            match = VERSION_RE.search(body)
            status, location, body = await browser.request(
                "POST", RECAP, "confirm_post", {"version": match.group(1) if match else ""}
            )
            if status in REDIRECTS and location == CONFIRMATION:
                browser.recorder.confirmed_at.append(time.perf_counter() - browser.recorder.origin)
                tally["confirmed"] += 1
                await browser.request("GET", CONFIRMATION, "confirmation_get")
                return
            if status in REDIRECTS:
                tally["refused_at_confirm"] += 1
        else:
            tally[f"unexpected_page {page} {status}"] += 1
            return
    tally["too_many_requests"] += 1


async def rush_mode(spec: dict) -> dict:
    recorder = Recorder()
    browsers = [Browser(spec["base"], recorder, htmx=spec["htmx"]) for _ in range(spec["citizens"])]
    await prepare_all(browsers, spec["type_id"], spec["prepare_concurrency"])
    say({"event": "ready"})
    await wait_for_go()
    tally: Counter = Counter()
    rng = random.Random(spec["seed"])
    usage = Usage(spec["server_pid"])
    recorder.restart()
    usage.start()
    await asyncio.gather(
        *(
            rush_citizen(b, random.Random(rng.random()), spec, tally)
            for b in browsers  # every citizen starts at once: the places just opened
        )
    )
    measured = usage.stop()
    await asyncio.gather(*(b.close() for b in browsers))
    return {
        "requests": {kind: rows for kind, rows in recorder.requests.items() if kind != "prepare"},
        "confirmed_at": recorder.confirmed_at,
        "tally": tally,
        "usage": measured,
    }


async def main() -> None:
    spec = json.loads(sys.stdin.readline())
    result = await (loop_mode(spec) if spec["mode"] == "loop" else rush_mode(spec))
    say({"event": "result", **result})


if __name__ == "__main__":
    asyncio.run(main())
