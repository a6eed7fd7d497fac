"""The load generator, in its own process: simulated citizens over real HTTP (aiohttp).

Driven by the benchmark through its standard streams, one JSON object a line:
the spec comes in, `{"event": "ready"}` goes out once every draft is prepared (untimed),
`go` comes in, then `{"event": "result", ...}` goes out with every timed request.

With several servers (`bases`, `server_pids`: processes of one application on one
database), citizen number n talks to server n mod N only (round-robin), and the servers'
CPU is summed.

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
from datetime import date, timedelta
from urllib.parse import urlsplit

import aiohttp

from bench.servers import machine_busy_ticks, process_cpu_seconds

CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')
SLOT_RE = re.compile(r'name="creneau" id="creneau-\d+" value="([^"]+)"')
WEEK_FIELD_RE = re.compile(r'name="semaine" value="(\d{4}-\d{2}-\d{2})"')
VERSION_RE = re.compile(r'name="version" value="([^"]+)"')
WEEK_RE = re.compile(r"/rendez-vous/creneau\?semaine=(\d{4}-\d{2}-\d{2})")
REDIRECTS = {301, 302, 303, 307, 308}
STEP5, RECAP, CONFIRMATION = (
    "/rendez-vous/creneau",
    "/rendez-vous/recapitulatif",
    "/rendez-vous/confirmation",
)
MAX_REQUESTS_PER_CITIZEN = 400
CONFIRM = "confirm_post"


class Recorder:
    def __init__(self) -> None:
        self.origin = time.perf_counter()
        # kind -> [(start s since origin, latency ms, status)]
        self.requests: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
        self.confirmed_at: list[float] = []
        # server index -> Counter of "requests", "5xx", "503", "confirmed" (timed requests)
        self.per_server: dict[int, Counter] = defaultdict(Counter)

    def restart(self) -> None:
        self.origin = time.perf_counter()

    def add(self, kind: str, started: float, ended: float, status: int, server: int = 0) -> None:
        self.requests[kind].append(
            (round(started - self.origin, 4), round((ended - started) * 1000, 3), status)
        )
        if kind != "prepare":
            counts = self.per_server[server]
            counts["requests"] += 1
            counts["5xx"] += status >= 500
            counts["503"] += status == 503


class Browser:
    def __init__(self, base_url: str, recorder: Recorder, *, htmx: bool, server: int = 0) -> None:
        self.server = server
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
        self.recorder.add(kind, started, time.perf_counter(), status, self.server)
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
    """CPU of the servers (summed: 1.0 = one core), of this load generator and of the whole
    machine over a window."""

    def __init__(self, server_pids: list[int]) -> None:
        self.server_pids = server_pids

    def start(self) -> None:
        self.t0 = time.perf_counter()
        self.servers0 = [process_cpu_seconds(pid) for pid in self.server_pids]
        self.client0 = time.process_time()
        self.machine0 = machine_busy_ticks()

    def stop(self) -> dict:
        wall = time.perf_counter() - self.t0
        busy, total = machine_busy_ticks()
        per_server = [
            (process_cpu_seconds(pid) - before) / wall
            for pid, before in zip(self.server_pids, self.servers0, strict=True)
        ]
        return {
            "wall_s": wall,
            "server_cpu": sum(per_server),
            "server_cpu_each": per_server,
            "client_cpu": (time.process_time() - self.client0) / wall,
            "machine_busy": (busy - self.machine0[0]) / max(total - self.machine0[1], 1),
        }


def servers(spec: dict) -> tuple[list[str], list[int]]:
    """(base URLs, pids) of the servers under test: `bases`/`server_pids`, or one `base`."""
    bases = spec.get("bases") or [spec["base"]]
    pids = spec.get("server_pids") or [spec["server_pid"]]
    return bases, pids


def browsers_for(spec: dict, recorder: Recorder, count: int) -> list[Browser]:
    """`count` citizens, spread round-robin over the servers."""
    bases, _ = servers(spec)
    return [
        Browser(bases[n % len(bases)], recorder, htmx=spec["htmx"], server=n % len(bases))
        for n in range(count)
    ]


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
    browsers = browsers_for(spec, recorder, spec["clients"])
    if spec.get("type_id"):
        await prepare_all(browsers, spec["type_id"], spec["clients"])
    say({"event": "ready"})
    await wait_for_go()
    recorder.restart()
    warmup, duration = spec["warmup"], spec["duration"]
    usage = Usage(servers(spec)[1])

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
    slots: list[str] = []  # the free slots of the page the citizen is looking at
    week: re.Match[str] | None = None
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
            # A whole step-5 page lists the slots; the answer to a refused pick may be only
            # the taken slot (htmx fragment): the citizen then picks from the page they have.
            shown = SLOT_RE.findall(body)
            if shown or not slots:
                slots = shown
                week = WEEK_FIELD_RE.search(body)
            if not slots:
                tally["gave_up"] += 1
                return
            choice = rng.choice(slots[: spec["pick_among"]])
            form = {"creneau": choice, **({"semaine": week.group(1)} if week else {})}
            status, location, body = await browser.request("POST", STEP5, "step5_post", form)
            if status == 422:
                tally["refused_at_step5"] += 1
                slots = [slot for slot in slots if slot != choice]
        elif page == RECAP:
            match = VERSION_RE.search(body)
            status, location, body = await browser.request(
                "POST", RECAP, CONFIRM, {"version": match.group(1) if match else ""}
            )
            if status in REDIRECTS and location == CONFIRMATION:
                browser.recorder.confirmed_at.append(time.perf_counter() - browser.recorder.origin)
                browser.recorder.per_server[browser.server]["confirmed"] += 1
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
    browsers = browsers_for(spec, recorder, spec["citizens"])
    await prepare_all(browsers, spec["type_id"], spec["prepare_concurrency"])
    say({"event": "ready"})
    await wait_for_go()
    tally: Counter = Counter()
    rng = random.Random(spec["seed"])
    usage = Usage(servers(spec)[1])
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
        "per_server": [recorder.per_server[n] for n in range(len(servers(spec)[0]))],
        "tally": tally,
        "usage": measured,
    }


# --- confirms one at a time ----------------------------------------------------------------


async def prepare_to_recap(browser: Browser, rng: random.Random, spec: dict, n: int) -> str:
    """Steps 1 to 5 through the real routes (a slot held at step 5), the recap loaded; the
    version of the answers the recap shows, which its confirm button sends back. Citizen n
    looks n mod `spread_weeks` weeks ahead, so that the bookings spread over the horizon
    (and concurrent preparations seldom collide)."""
    await prepare_draft(browser, spec["type_id"], n)
    status, _, body = await browser.request("GET", STEP5, "prepare")
    current = ""  # the week shown (its Monday, ISO), when known
    if weeks := sorted(WEEK_RE.findall(body)):
        shown = date.fromisoformat(weeks[-1]) - timedelta(days=7)  # the last link: next week
        current = str(shown + timedelta(days=7 * (n % spec.get("spread_weeks", 8))))
        status, _, body = await browser.request("GET", f"{STEP5}?semaine={current}", "prepare")
    for _ in range(50):
        slots = SLOT_RE.findall(body)
        if status not in (200, 422):
            raise RuntimeError(f"preparing a recap: step 5 answered {status}")
        if not slots:  # this week is full: the next one
            later = [week for week in WEEK_RE.findall(body) if week > current]
            if not later:
                raise RuntimeError("preparing a recap: no free slot in any week")
            current = min(later)
            status, _, body = await browser.request("GET", f"{STEP5}?semaine={current}", "prepare")
            continue
        status, location, body = await browser.request(
            "POST", STEP5, "prepare", {"creneau": rng.choice(slots[: spec["pick_among"]])}
        )
        if status in REDIRECTS:
            if location != RECAP:
                raise RuntimeError(f"after step 5 the server sent {location!r}, not {RECAP}")
            status, _, body = await browser.request("GET", RECAP, "prepare")
            match = VERSION_RE.search(body)
            if status != 200 or not match:
                raise RuntimeError(f"the recap answered {status} without its version field")
            return match.group(1)
    raise RuntimeError("preparing a recap: 50 slots refused in a row")


async def confirm_mode(spec: dict) -> dict:
    """Drafts prepared up to the recap (untimed, a few at a time), then confirmed one by
    one: one citizen at a time, the server otherwise idle."""
    recorder = Recorder()
    browsers = browsers_for(spec, recorder, spec["citizens"])
    rng = random.Random(spec["seed"])
    gate = asyncio.Semaphore(spec["prepare_concurrency"])

    async def one(n: int, browser: Browser) -> str:
        async with gate:
            return await prepare_to_recap(browser, random.Random(rng.random()), spec, n)

    versions = await asyncio.gather(*(one(n, b) for n, b in enumerate(browsers)))
    say({"event": "ready"})
    await wait_for_go()
    outcomes: Counter = Counter()
    usage = Usage(servers(spec)[1])
    recorder.restart()
    usage.start()
    for browser, version in zip(browsers, versions, strict=True):
        status, location, _ = await browser.request("POST", RECAP, CONFIRM, {"version": version})
        if status in REDIRECTS and location == CONFIRMATION:
            outcomes["confirmed"] += 1
        else:
            outcomes[f"{status} {location}".strip()] += 1
    measured = usage.stop()
    await asyncio.gather(*(b.close() for b in browsers))
    rows = recorder.requests[CONFIRM]
    return {
        "latencies": [latency for _, latency, _ in rows],
        "statuses": Counter(str(status) for _, _, status in rows),
        "outcomes": outcomes,
        "usage": measured,
    }


async def main() -> None:
    spec = json.loads(sys.stdin.readline())
    modes = {"loop": loop_mode, "rush": rush_mode, "confirm": confirm_mode}
    result = await modes[spec["mode"]](spec)
    say({"event": "result", **result})


if __name__ == "__main__":
    asyncio.run(main())
