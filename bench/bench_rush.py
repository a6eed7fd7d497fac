"""The rush: thousands of citizens over HTTP competing for places that open at once.

    .venv/bin/python -m bench.bench_rush [--quick] [--database postgres] [--processes N]
                                         [--runs 1] [--citizens 2000] [--no-htmx]
                                         [--profile FILE]

The "ville moyenne" is loaded into a fresh database, with a passport operation at the
"salle des fêtes" whose places (500 by default) exist only on two days. Before the timed
part, every citizen answers steps 1 to 4 through the real routes (untimed). Then all of
them start at the same instant: each loads step 5, picks a free slot at random among the
first ones shown, posts it, confirms at the recap, takes another slot when refused (at
step 5 or at the confirm) and gives up when step 5 shows no free slot any more.

Afterwards the database itself is asked whether any desk is booked twice, any slot holds
more people than its capacity, or a booking lies where no place was offered; the count of
bookings must equal the confirmations the citizens saw.

Baseline, in the same run: the same number of concurrent clients sending as many requests
each (the rush's average) to an empty Litestar route served by `creneau serve`'s code
(bench/baseline_app.py).

`--processes N` (PostgreSQL only): N `creneau serve` processes on the same database, each
on its own port, citizen n talking to process n mod N (as a load balancer hashing clients
would); the baseline then runs N processes of the empty route, its clients spread the same
way, so that the ratio compares like with like. SQLite is refused: its single writer lock
serialises the processes, which is not the deployment this option measures.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import shutil
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench import city_db
from bench.harness import percentile, prepare_database, ratio, run_client
from bench.servers import Profiler, baseline_servers, creneau_servers, started

CONFIRM = "confirm_post"
ERROR_RE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Timeout)): (.{0,90})")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 citizens, 50 places")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="server processes on the same database (PostgreSQL only), and as many baselines",
    )
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--citizens", type=int, default=2000)
    parser.add_argument("--pick-among", type=int, default=5, help="the first N free slots")
    parser.add_argument("--think-ms", type=float, default=0.0, help="mean pause before a click")
    parser.add_argument(
        "--no-htmx", dest="htmx", action="store_false", help="whole pages, no HX-Request"
    )
    parser.add_argument("--profile", type=Path, help="py-spy raw stacks of the server (1st run)")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    if args.processes > 1 and args.database != "postgres":
        parser.error(
            f"--processes {args.processes} needs --database postgres: several server processes "
            "on one SQLite file would only queue on its single writer lock (refused, nothing run)"
        )
    args.city = {"rush_desks": 10, "rush_slots_per_day": 25, "rush_day_count": 2}
    if args.quick:
        args.citizens = 200
        args.city = {"rush_desks": 5, "rush_slots_per_day": 10, "rush_day_count": 1}
    return args


def one_run(args, run_number: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="creneau-rush-") as tmp:
        data_dir = Path(tmp)
        url, city = prepare_database(args.database, data_dir, **args.city)
        spec = {
            "mode": "rush",
            "citizens": args.citizens,
            "type_id": city.rush_type_id,
            "prepare_concurrency": 50,
            "pick_among": args.pick_among,
            "think_ms": args.think_ms,
            "htmx": args.htmx,
            "seed": args.seed + run_number,
        }
        profiler: list[Profiler] = []
        started_at = time.perf_counter()
        with started(creneau_servers(data_dir, url, args.processes)) as servers:
            spec.update(
                bases=[server.base_url for server in servers],
                server_pids=[server.pid for server in servers],
            )
            print(f"  {len(servers)} server process(es) started, pids {spec['server_pids']}")

            def on_ready() -> None:
                elapsed = time.perf_counter() - started_at
                print(f"  drafts prepared up to step 4 in {elapsed:.0f} s")
                if args.profile and run_number == 0:
                    profiler.append(Profiler(servers[0].pid, args.profile))

            rush = run_client(spec, on_ready)
            if profiler:
                profiler[0].stop()
        errors_in_logs = []
        for n, server in enumerate(servers, start=1):
            suffix = f"-{n}" if len(servers) > 1 else ""
            kept_log = (
                Path(tempfile.gettempdir()) / f"creneau-rush-{args.database}-server{suffix}.log"
            )
            shutil.copyfile(server.log_path, kept_log)
            errors_in_logs.append(logged_errors(kept_log))
            print(f"  server log kept in {kept_log}")
        integrity = asyncio.run(
            city_db.overbooking_report(url, city.rush_type_id, city_db.offered_places(city))
        )
        requests = sum(len(rows) for rows in rush["requests"].values())
        with started(baseline_servers(data_dir, args.processes)) as baselines:
            base = run_client(
                {
                    "mode": "loop",
                    "bases": [baseline.base_url for baseline in baselines],
                    "server_pids": [baseline.pid for baseline in baselines],
                    "path": "/",
                    "clients": args.citizens,
                    "count": max(math.ceil(requests / args.citizens), 1),
                    "htmx": False,
                    "warmup": 0,
                    "duration": 0,
                }
            )
        return {
            "city": city,
            "rush": rush,
            "integrity": integrity,
            "baseline": base,
            "errors_in_logs": errors_in_logs,
        }


def logged_errors(log: Path) -> Counter:
    """The exceptions a server log names (the last line of each traceback), by kind."""
    found: Counter = Counter()
    for line in log.read_text(errors="replace").splitlines():
        if match := ERROR_RE.match(line):
            found[f"{match.group(1)}: {match.group(2)}"] += 1
    return found


def summarise(run: dict) -> dict:
    rush, base = run["rush"], run["baseline"]
    rows = [row for rows in rush["requests"].values() for row in rows]
    confirms = rush["requests"].get(CONFIRM, [])
    confirmed_at = sorted(rush["confirmed_at"])
    to_last = confirmed_at[-1] if confirmed_at else math.nan
    base_rps = len(base["latencies"]) / base["duration"]
    return {
        "places": run["city"].rush_places,
        "confirmed": len(confirmed_at),
        "bookings_per_s": len(confirmed_at) / to_last if confirmed_at else 0.0,
        "to_last_confirm_s": to_last,
        "wall_s": rush["usage"]["wall_s"],
        "requests": len(rows),
        "rps": len(rows) / rush["usage"]["wall_s"],
        "p50_all": percentile([r[1] for r in rows], 0.5),
        "p99_all": percentile([r[1] for r in rows], 0.99),
        "p50_confirm": percentile([r[1] for r in confirms], 0.5),
        "p99_confirm": percentile([r[1] for r in confirms], 0.99),
        "errors_5xx": sum(1 for r in rows if r[2] >= 500),
        "errors_503": sum(1 for r in rows if r[2] == 503),
        "errors_599": sum(1 for r in rows if r[2] == 599),
        "statuses": dict(sorted(Counter(r[2] for r in rows).items())),
        "per_server": rush["per_server"],
        "server_cpu_each": rush["usage"]["server_cpu_each"],
        "errors_in_logs": run["errors_in_logs"],
        "processes": len(rush["per_server"]),
        "per_kind": {
            kind: (
                len(rows_),
                percentile([r[1] for r in rows_], 0.5),
                percentile([r[1] for r in rows_], 0.99),
            )
            for kind, rows_ in sorted(rush["requests"].items())
        },
        "tally": rush["tally"],
        "integrity": run["integrity"],
        "server_cpu": rush["usage"]["server_cpu"],
        "client_cpu": rush["usage"]["client_cpu"],
        "machine": rush["usage"]["machine_busy"],
        "base_rps": base_rps,
        "base_p50": percentile(base["latencies"], 0.5),
        "base_p99": percentile(base["latencies"], 0.99),
        "base_ceiling": base_rps / (len(rows) / max(len(confirmed_at), 1)),
        "base_server_cpu": base["usage"]["server_cpu"],
        "cpu_ms_per_request": rush["usage"]["server_cpu"]
        * rush["usage"]["wall_s"]
        * 1000
        / max(len(rows), 1),
        "cpu_ms_per_booking": rush["usage"]["server_cpu"]
        * rush["usage"]["wall_s"]
        * 1000
        / max(len(confirmed_at), 1),
        "base_cpu_ms": base["usage"]["server_cpu"]
        * base["usage"]["wall_s"]
        * 1000
        / max(len(base["latencies"]), 1),
        "base_client_cpu": base["usage"]["client_cpu"],
    }


def main() -> None:
    args = parse_args()
    mode = "htmx fragments" if args.htmx else "whole pages"
    print(
        f"rush on {args.database}: {args.citizens} citizens ({mode}, picking among the first "
        f"{args.pick_among} free slots, {args.think_ms:g} ms mean pause), "
        f"{args.processes} `creneau serve` process(es) (baseline: as many of the empty route), "
        "the load generator in another; machine: 2 cores for the servers, the load "
        "generator and the database"
    )
    summaries = []
    for run_number in range(args.runs):
        print(f"run {run_number + 1}/{args.runs}")
        summary = summarise(one_run(args, run_number))
        summaries.append(summary)
        print_run(summary)
    if args.runs > 1:
        print("\nmedian over the runs:")
        for key in ("bookings_per_s", "rps", "p99_confirm", "p99_all"):
            print(f"  {key:<16} {statistics.median(s[key] for s in summaries):10.1f}")
    problems = []
    if any(not integrity_ok(s) for s in summaries):
        problems.append("INTEGRITY CHECK FAILED (overbooking or lost bookings)")
    if any(s["errors_5xx"] for s in summaries):
        problems.append("5xx CHECK FAILED (some citizens got a 5xx)")
    if problems:
        raise SystemExit("; ".join(problems) + " — see above")


def integrity_ok(s: dict) -> bool:
    """No overbooking, counted in SQL, and every booking seen by a citizen."""
    i = s["integrity"]
    return (
        i["double_booked"] == 0
        and i["over_capacity"] == 0
        and i["outside_opening"] == 0
        and i["confirmed"] == s["confirmed"] <= s["places"]
    )


def print_run(s: dict) -> None:
    i = s["integrity"]
    print(
        f"  {s['places']} places: {s['confirmed']} confirmed in {s['to_last_confirm_s']:.2f} s "
        f"(all citizens done in {s['wall_s']:.2f} s)"
    )
    print(f"  outcomes: {dict(sorted(s['tally'].items()))}")
    print(f"  {'':<38} {'value':>10}   {'baseline':>10}   {'ratio':>7}")
    rows = [
        (
            "confirmed bookings/s",
            f"{s['bookings_per_s']:.1f}",
            f"{s['base_ceiling']:.1f}",
            ratio(s["bookings_per_s"], s["base_ceiling"]),
        ),
        (
            "requests/s (all kinds)",
            f"{s['rps']:.0f}",
            f"{s['base_rps']:.0f}",
            ratio(s["rps"], s["base_rps"]),
        ),
        (
            "p50 latency, all requests",
            f"{s['p50_all']:.0f} ms",
            f"{s['base_p50']:.0f} ms",
            ratio(s["p50_all"], s["base_p50"]),
        ),
        (
            "p99 latency, all requests",
            f"{s['p99_all']:.0f} ms",
            f"{s['base_p99']:.0f} ms",
            ratio(s["p99_all"], s["base_p99"]),
        ),
        (
            "p50 latency, confirm (recap POST)",
            f"{s['p50_confirm']:.0f} ms",
            f"{s['base_p50']:.0f} ms",
            ratio(s["p50_confirm"], s["base_p50"]),
        ),
        (
            "p99 latency, confirm (recap POST)",
            f"{s['p99_confirm']:.0f} ms",
            f"{s['base_p99']:.0f} ms",
            ratio(s["p99_confirm"], s["base_p99"]),
        ),
    ]
    rows.append(
        (
            "server CPU per request",
            f"{s['cpu_ms_per_request']:.1f} ms",
            f"{s['base_cpu_ms']:.2f} ms",
            ratio(s["cpu_ms_per_request"], s["base_cpu_ms"]),
        )
    )
    rows.append(("server CPU per confirmed booking", f"{s['cpu_ms_per_booking']:.0f} ms", "", ""))
    for label, value, base, r in rows:
        print(f"  {label:<38} {value:>10}   {base:>10}   {r:>7}")
    print(
        "  (baseline of bookings/s: the empty route's requests/s divided by the requests "
        "the rush needed per confirmed booking)"
    )
    print(f"  {'request kind':<22} {'count':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for kind, (count, p50, p99) in s["per_kind"].items():
        print(f"  {kind:<22} {count:6d} {p50:8.0f} {p99:8.0f}")
    print(
        f'  5xx responses: {s["errors_5xx"]}, of which 503 (admission gate, "service très '
        f'demandé"): {s["errors_503"]}, and no answer at all (client timeout or connection '
        f"error, counted as 599): {s['errors_599']}"
    )
    print(f"  statuses seen (count): {s['statuses']}")
    print(
        f"  server CPU {s['server_cpu']:.0%} of a core, all processes together (baseline "
        f"{s['base_server_cpu']:.0%}), load generator {s['client_cpu']:.0%} (baseline "
        f"{s['base_client_cpu']:.0%}), machine {s['machine']:.0%} of both cores"
    )
    if s["processes"] > 1:
        print(f"  {'server process':<16} {'confirmed':>9} {'requests':>9} {'5xx':>6} {'503':>6} "
              f"{'CPU':>5}")  # fmt: skip
        for n, (counts, cpu) in enumerate(
            zip(s["per_server"], s["server_cpu_each"], strict=True), start=1
        ):
            print(
                f"  {n:<16} {counts.get('confirmed', 0):9d} {counts.get('requests', 0):9d} "
                f"{counts.get('5xx', 0):6d} {counts.get('503', 0):6d} {cpu:5.0%}"
            )
        total = sum(counts.get("confirmed", 0) for counts in s["per_server"])
        print(f"  {'total':<16} {total:9d}")
    for n, errors in enumerate(s["errors_in_logs"], start=1):
        name = f"server {n}" if s["processes"] > 1 else "server"
        if not errors:
            print(f"  {name} log: no exception logged")
        for line, count in errors.most_common(5):
            print(f"  {name} log: {count} × {line}")
    print(
        f"  database after the rush (counted in SQL): {i['confirmed']} bookings of the type "
        f"(citizens saw {s['confirmed']} confirmations), {i['double_booked']} desk booked "
        f"twice, {i['over_capacity']} slot over capacity, {i['outside_opening']} booking "
        f"where no place was offered, {i['other_statuses']} in another status -> "
        f"overbooking {'none: OK' if integrity_ok(s) else 'FOUND: FAILED'}"
    )
    print(
        f"  summary: {s['bookings_per_s']:.2f} bookings/s = "
        f"{ratio(s['bookings_per_s'], s['base_ceiling'])} of the bare route's ceiling "
        f"({s['base_ceiling']:.1f}/s); p99 confirm {s['p99_confirm'] / 1000:.2f} s; "
        f"5xx {s['errors_5xx']} (503: {s['errors_503']}); overbooking "
        f"{'0' if integrity_ok(s) else 'FOUND'}; {s['confirmed']}/{s['places']} places"
    )


if __name__ == "__main__":
    main()
