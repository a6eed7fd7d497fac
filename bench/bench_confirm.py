"""The confirm (the recap's POST, the one that books) with no load: one citizen at a time.

    .venv/bin/python -m bench.bench_confirm [--database postgres] [--citizens 200]
                                            [--counted 20] [--profile FILE]

The "ville moyenne" is loaded into a fresh database; the type booked is its first one (10
desks, 60 % of its places booked over 90 days).

Over HTTP, against `creneau serve` (its defaults, the outbox worker embedded): `--citizens`
drafts are taken up to the recap through the real routes (steps 1 to 4, a slot picked and
held at step 5, the recap loaded), untimed, a few at a time; then they are confirmed one
after the other, each confirm sent when the previous one has answered. Measured: the wall
latency of each confirm seen by the client, and the server's CPU (from /proc/<pid>/stat)
over all the confirms divided by their number. The outbox worker runs in the same process
every 2 s, so part of the confirmation e-mails' delivery falls in that window; the CPU the
server spends after the last confirm until it is idle again is printed apart.

Baseline, same run: the empty Litestar route (bench/baseline_app.py, served by `creneau
serve`'s code) asked as many times by one client, one request at a time.

In-process (no HTTP server, `app.asgi.create_app` with the same settings but the outbox
worker off, driven by Litestar's TestClient): `--counted` more citizens walk the whole
path one after the other, and every SQL statement the application sends is counted by a
`before_cursor_execute` listener on the Database's engines, per request: step-5 GET
(whole page and htmx fragment), step-5 POST (the hold), recap GET, confirm POST,
confirmation GET. Transactions (begin, commit, rollback) and connection checkouts are
counted apart; on SQLite the `BEGIN IMMEDIATE` of a write goes through the cursor and is
listed among the statements as BEGIN. The statements of one confirm and of one step-5 GET
are printed. The in-process CPU per request (the client's share included) is compared with
the empty route's, in-process too.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from bench.harness import percentile, prepare_database, ratio, run_client
from bench.servers import (
    BENCH_SECRET,
    Profiler,
    baseline_server,
    creneau_server,
    process_cpu_seconds,
)

CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')
SLOT_RE = re.compile(r'name="creneau" id="creneau-\d+" value="([^"]+)"')
VERSION_RE = re.compile(r'name="version" value="([^"]+)"')
KINDS = (
    "step5_get (whole page)",
    "step5_get (htmx fragment)",
    "step5_post (hold)",
    "recap_get",
    "confirm_post",
    "confirmation_get",
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--citizens", type=int, default=200, help="confirms timed over HTTP")
    parser.add_argument("--counted", type=int, default=20, help="citizens counted in-process")
    parser.add_argument("--profile", type=Path, help="py-spy raw stacks of the server (confirms)")
    parser.add_argument("--seed", type=int, default=5)
    return parser.parse_args()


def server_env(data_dir: Path, url: str) -> dict[str, str]:
    return {
        "CRENEAU_DATA_DIR": str(data_dir),
        "CRENEAU_DEMO": "false",
        "CRENEAU_SECRET_KEY": BENCH_SECRET,
        "DATABASE_URL": url,
    }


# --- over HTTP ---------------------------------------------------------------------------


def wait_until_idle(pid: int, limit_s: float = 60.0) -> tuple[float, float]:
    """(CPU seconds, wall seconds) the process spends until it has been idle (< 2 % of a
    core) for two seconds: what the outbox worker still had to deliver."""
    started, cpu0 = time.perf_counter(), process_cpu_seconds(pid)
    quiet_since, last = None, cpu0
    while time.perf_counter() - started < limit_s:
        time.sleep(0.5)
        now = process_cpu_seconds(pid)
        if now - last < 0.01:
            quiet_since = quiet_since or time.perf_counter()
            if time.perf_counter() - quiet_since >= 2.0:
                break
        else:
            quiet_since = None
        last = now
    return last - cpu0, time.perf_counter() - started


def over_http(args, data_dir: Path, url: str, type_id: int) -> dict:
    profiler: list[Profiler] = []
    started = time.perf_counter()
    with creneau_server(data_dir, url) as server:

        def on_ready() -> None:
            print(f"  {args.citizens} drafts taken to the recap in "
                  f"{time.perf_counter() - started:.0f} s (untimed)")  # fmt: skip
            if args.profile:
                profiler.append(Profiler(server.pid, args.profile))

        result = run_client(
            {
                "mode": "confirm",
                "base": server.base_url,
                "server_pid": server.pid,
                "citizens": args.citizens,
                "type_id": type_id,
                "prepare_concurrency": 4,
                "pick_among": 40,
                "htmx": True,
                "seed": args.seed,
            },
            on_ready,
        )
        if profiler:
            profiler[0].stop()
        after_cpu, after_wall = wait_until_idle(server.pid)
    with baseline_server(data_dir) as baseline:
        base = run_client(
            {
                "mode": "loop",
                "base": baseline.base_url,
                "server_pid": baseline.pid,
                "path": "/",
                "clients": 1,
                "count": args.citizens,
                "htmx": False,
                "warmup": 0,
                "duration": 0,
            }
        )
    return {"confirm": result, "after_cpu": after_cpu, "after_wall": after_wall, "base": base}


# --- in-process: statements counted ----------------------------------------------------


class StatementCounter:
    """Every statement the engines send, with transactions and connection checkouts."""

    def __init__(self, engines) -> None:
        from sqlalchemy import event

        self.statements: list[str] = []
        self.events: Counter = Counter()
        for engine in {id(e): e for e in engines}.values():
            sync = engine.sync_engine
            event.listen(sync, "before_cursor_execute", self._statement)
            for name in ("begin", "commit", "rollback"):
                event.listen(sync, name, self._event(name))
            event.listen(sync, "checkout", self._event("checkout"))

    def _statement(self, _conn, _cursor, statement, _parameters, _context, _many) -> None:
        self.statements.append(" ".join(statement.split()))

    def _event(self, name: str):
        def listener(*_args) -> None:
            self.events[name] += 1

        return listener

    @contextmanager
    def counting(self):
        """Counts afresh inside the block; what runs after it (uncounted requests) goes to
        lists thrown away, never into the block's."""
        self.statements, self.events = [], Counter()
        counted = self.statements, self.events
        try:
            yield counted
        finally:
            self.statements, self.events = [], Counter()


def verb(statement: str) -> str:
    return statement.split(" ", 1)[0].upper()


def in_process(args, data_dir: Path, url: str, type_id: int) -> dict:
    from litestar import Litestar, get
    from litestar.testing import TestClient

    from app.asgi import create_app
    from app.settings import Settings
    from bench.load_client import contact

    settings = Settings.from_env(
        {**os.environ, **server_env(data_dir, url), "CRENEAU_EMBEDDED_WORKER": "false"}
    )
    per_kind: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    examples: dict[str, list[str]] = {}
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per test request
        db = client.app.state.db
        counter = StatementCounter([db.read_engine, db.write_engine])

        def measured(kind: str, method: str, path: str, **kwargs):
            with counter.counting() as (statements, events):
                cpu0, wall0 = time.process_time(), time.perf_counter()
                response = client.request(method, path, follow_redirects=False, **kwargs)
                wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            per_kind[kind].append(
                {
                    "statements": len(statements),
                    "verbs": Counter(verb(s) for s in statements),
                    "events": events,
                    "wall_ms": wall * 1000,
                    "cpu_ms": cpu * 1000,
                    "status": response.status_code,
                }
            )
            examples[kind] = statements
            return response

        for n in range(args.counted):
            client.cookies.clear()
            token = CSRF_RE.search(client.get("/rendez-vous/type").text).group(1)
            for path, data in [
                ("/rendez-vous/type", {"type_id": str(type_id)}),
                ("/rendez-vous/informations", {}),
                ("/rendez-vous/personnes", {"people": "1"}),
                ("/rendez-vous/coordonnees", contact(1_000_000 + n)),
            ]:
                response = client.post(
                    path, data={**data, "_csrf_token": token}, follow_redirects=False
                )
                assert response.status_code == 303, (path, response.status_code)
            page = measured("step5_get (whole page)", "GET", "/rendez-vous/creneau")
            measured(
                "step5_get (htmx fragment)",
                "GET",
                "/rendez-vous/creneau",
                headers={"HX-Request": "true"},
            )
            slot = SLOT_RE.search(page.text).group(1)
            response = measured(
                "step5_post (hold)",
                "POST",
                "/rendez-vous/creneau",
                data={"creneau": slot, "_csrf_token": token},
            )
            assert response.status_code == 303, ("hold", response.status_code)
            recap = measured("recap_get", "GET", "/rendez-vous/recapitulatif")
            version = VERSION_RE.search(recap.text).group(1)
            response = measured(
                "confirm_post",
                "POST",
                "/rendez-vous/recapitulatif",
                data={"version": version, "_csrf_token": token},
            )
            assert response.headers.get("location", "").endswith("/confirmation"), (
                "confirm",
                response.status_code,
                response.headers.get("location"),
            )
            measured("confirmation_get", "GET", "/rendez-vous/confirmation")

    @get("/", media_type="text/plain")
    async def empty() -> str:
        return ""

    base_cpu, base_wall = [], []
    with TestClient(Litestar(route_handlers=[empty]), base_url="http://127.0.0.1") as client:
        for _ in range(max(args.counted * 10, 200)):
            cpu0, wall0 = time.process_time(), time.perf_counter()
            client.get("/")
            base_wall.append((time.perf_counter() - wall0) * 1000)
            base_cpu.append((time.process_time() - cpu0) * 1000)
    return {
        "per_kind": per_kind,
        "examples": examples,
        "base_cpu_ms": statistics.median(base_cpu),
        "base_wall_ms": statistics.median(base_wall),
    }


# --- report ------------------------------------------------------------------------------


def report_http(args, http: dict) -> dict:
    confirm, base = http["confirm"], http["base"]
    n, nb = len(confirm["latencies"]), len(base["latencies"])
    cpu_ms = confirm["usage"]["server_cpu"] * confirm["usage"]["wall_s"] * 1000 / max(n, 1)
    base_cpu_ms = base["usage"]["server_cpu"] * base["usage"]["wall_s"] * 1000 / max(nb, 1)
    after_ms = http["after_cpu"] * 1000 / max(n, 1)
    row = {
        "median": percentile(confirm["latencies"], 0.5),
        "p95": percentile(confirm["latencies"], 0.95),
        "cpu_ms": cpu_ms,
        "after_ms": after_ms,
    }
    base_median = percentile(base["latencies"], 0.5)
    base_p95 = percentile(base["latencies"], 0.95)
    print(f"\nover HTTP, {n} confirms one after the other (outcomes: "
          f"{dict(confirm['outcomes'])}, statuses {dict(confirm['statuses'])})")  # fmt: skip
    print(f"  {'':<46} {'confirm':>10}   {'baseline':>10}   {'ratio':>6}")
    lines = [
        ("wall latency, median", row["median"], base_median),
        ("wall latency, p95", row["p95"], base_p95),
        ("server CPU per request (during the confirms)", cpu_ms, base_cpu_ms),
    ]
    for label, value, baseline in lines:
        print(f"  {label:<46} {value:7.1f} ms   {baseline:7.2f} ms   {ratio(value, baseline):>6}")
    print(
        f"  server CPU after the last confirm until idle: {http['after_cpu'] * 1000:.0f} ms in "
        f"{http['after_wall']:.1f} s = {after_ms:.1f} ms per confirm (the embedded outbox "
        "worker delivering what the confirms queued)"
    )
    print(
        f"  server CPU {confirm['usage']['server_cpu']:.0%} of a core during the confirms, "
        f"load generator {confirm['usage']['client_cpu']:.0%}, machine "
        f"{confirm['usage']['machine_busy']:.0%} of both cores; baseline "
        f"{base['usage']['server_cpu']:.0%} / {base['usage']['client_cpu']:.0%} / "
        f"{base['usage']['machine_busy']:.0%}"
    )
    return row


def report_in_process(args, result: dict) -> dict:
    print(
        f"\nin-process (TestClient, outbox worker off), {args.counted} citizens one after the "
        "other; per request, median [min–max]:"
    )
    print(f"  {'request':<26} {'statements':>15}   {'of which':<52} {'transactions':>12} "
          f"{'checkouts':>9} {'CPU':>9} {'×':>5}")  # fmt: skip
    rows = {}
    for kind, samples in result["per_kind"].items():
        if not samples:
            continue
        counts = [s["statements"] for s in samples]
        verbs: Counter = Counter()
        for sample in samples:
            verbs.update(sample["verbs"])
        mix = ", ".join(f"{v} {c / len(samples):.3g}" for v, c in verbs.most_common())
        begins = statistics.median(s["events"]["begin"] for s in samples)
        checkouts = statistics.median(s["events"]["checkout"] for s in samples)
        cpu = statistics.median(s["cpu_ms"] for s in samples)
        rows[kind] = {
            "statements": statistics.median(counts),
            "begin_statements": verbs["BEGIN"] / len(samples),
            "cpu_ms": cpu,
            "wall_ms": statistics.median(s["wall_ms"] for s in samples),
        }
        spread = f"{statistics.median(counts):g} [{min(counts)}–{max(counts)}]"
        print(
            f"  {kind:<26} {spread:>15}   {mix[:52]:<52} {begins:12g} {checkouts:9g} "
            f"{cpu:6.1f} ms {ratio(cpu, result['base_cpu_ms']):>5}"
        )
    print(
        f"  {'baseline: empty route':<26} {0:>15}   {'':<52} {0:12d} {0:9d} "
        f"{result['base_cpu_ms']:6.2f} ms ×1.00"
    )
    print(
        "  (statements: every cursor execute; transactions: BEGINs seen by SQLAlchemy; "
        "checkouts: connections taken from the pools; CPU: this process's CPU time around "
        "the request, client included)"
    )
    for kind in ("confirm_post", "step5_get (htmx fragment)"):
        shown = result["examples"].get(kind, [])
        print(f"\n  the {len(shown)} statements of the last {kind}:")
        for number, statement in enumerate(shown, start=1):
            print(f"    {number:2d}. {statement[:150]}")
    return rows


def main() -> None:
    args = parse_args()
    with open("/proc/loadavg") as load:
        print(f"load average before: {load.read().strip()}")
    with tempfile.TemporaryDirectory(prefix="creneau-confirm-") as tmp:
        data_dir = Path(tmp)
        url, city = prepare_database(args.database, data_dir)
        print(
            f"confirm on {args.database}, no load: ville moyenne ({city.bookings} bookings, "
            f"{city.absences} absences), type {city.main_type_id} (10 desks); one `creneau "
            "serve` process, one citizen at a time"
        )
        http = over_http(args, data_dir, url, city.main_type_id)
        row = report_http(args, http)
        result = in_process(args, data_dir, url, city.main_type_id)
        rows = report_in_process(args, result)
    confirm = rows["confirm_post"]
    step5 = rows["step5_get (htmx fragment)"]
    print(
        f"\nsummary: confirm median {row['median']:.1f} ms wall, p95 {row['p95']:.1f} ms, "
        f"server CPU {row['cpu_ms']:.1f} ms per confirm over HTTP (+{row['after_ms']:.1f} ms "
        f"after, outbox), {confirm['cpu_ms']:.1f} ms in-process; "
        f"{confirm['statements']:g} SQL statements per confirm "
        f"({confirm['statements'] - confirm['begin_statements']:g} without BEGINs), "
        f"{step5['statements']:g} per step-5 GET (fragment; "
        f"{step5['statements'] - step5['begin_statements']:g} without BEGINs), "
        f"{rows['step5_get (whole page)']['statements']:g} (whole page)"
    )
    with open("/proc/loadavg") as load:
        print(f"load average after: {load.read().strip()}")


if __name__ == "__main__":
    main()
