"""The step-5 page over HTTP on loopback, 50 concurrent clients, against `creneau serve`.

    .venv/bin/python -m bench.bench_http_step5 [--quick] [--database postgres]
                                               [--rounds 3] [--duration 10] [--profile FILE]

The "ville moyenne" is loaded into a fresh database before the server starts. Each client
is a citizen whose draft reached step 5 (answered through the real routes, untimed) and
who then reloads the step-5 page as fast as the server answers. Baseline, in the same run:
an empty Litestar route served by `creneau serve`'s own code (bench/baseline_app.py, so
with the same uvicorn options), hit by the same client. Also
measured on the Créneau server: /healthz (middlewares, one `SELECT 1`) and the step-5
fragment that htmx asks for. Rounds alternate between the servers; latencies are pooled
over the rounds, requests/s is the median of the rounds. A request counts in a round when
its answer arrives within the round's measured seconds.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from bench.harness import percentile, prepare_database, ratio, run_client
from bench.servers import Profiler, Server, baseline_server, creneau_server


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 clients, one round of 5 s")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds a round")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument(
        "--profile", type=Path, help="py-spy raw stacks of the server under the step-5 page"
    )
    args = parser.parse_args()
    if args.quick:
        # A step-5 page takes seconds under 50 clients here: fewer clients, longer window.
        args.clients, args.rounds, args.duration, args.warmup = 5, 1, 5.0, 2.0
    return args


def run_target(server: Server, args, path: str, type_id: int | None, htmx: bool, profile=None):
    spec = {
        "mode": "loop",
        "base": server.base_url,
        "server_pid": server.pid,
        "path": path,
        "clients": args.clients,
        "type_id": type_id,
        "htmx": htmx,
        "warmup": args.warmup,
        "duration": args.duration,
    }
    profiler: list[Profiler] = []
    on_ready = (lambda: profiler.append(Profiler(server.pid, profile))) if profile else None
    result = run_client(spec, on_ready or (lambda: None))
    if profiler:
        profiler[0].stop()
    return result


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="creneau-bench-") as tmp:
        data_dir = Path(tmp)
        url, city = prepare_database(args.database, data_dir)
        print(
            f"ville moyenne on {args.database}: {city.bookings} bookings, {city.absences} "
            f"absences, 10 desks, 20-min slots, 90-day horizon"
        )
        print(
            f"{args.clients} concurrent clients (aiohttp, one process), {args.rounds} rounds "
            f"of {args.duration:g} s after {args.warmup:g} s of warm-up; server: one uvicorn "
            "process; machine: 2 cores shared by the server, the load generator and the "
            "database"
        )
        targets = [
            ("baseline: empty Litestar route", "baseline", "/", None, False),
            ("/healthz (middlewares + SELECT 1)", "creneau", "/healthz", None, False),
            ("step 5, htmx fragment", "creneau", "/rendez-vous/creneau", city.main_type_id, True),
            ("step 5, whole page", "creneau", "/rendez-vous/creneau", city.main_type_id, False),
        ]
        results: dict[str, list[dict]] = {label: [] for label, *_ in targets}
        with baseline_server(data_dir) as baseline, creneau_server(data_dir, url) as creneau:
            servers = {"baseline": baseline, "creneau": creneau}
            for round_number in range(args.rounds):
                for label, server, path, type_id, htmx in targets:
                    profile = None
                    if args.profile and label == "step 5, whole page" and round_number == 0:
                        profile = args.profile
                    results[label].append(
                        run_target(servers[server], args, path, type_id, htmx, profile)
                    )
        report(results, profiled=bool(args.profile))


def report(results: dict[str, list[dict]], *, profiled: bool) -> None:
    rows = []
    for label, runs in results.items():
        latencies = [latency for run in runs for latency in run["latencies"]]
        failures = sum(
            count for run in runs for status, count in run["statuses"].items() if status != "200"
        )
        rows.append(
            {
                "label": label,
                "rps": statistics.median(len(run["latencies"]) / run["duration"] for run in runs),
                "median": percentile(latencies, 0.5),
                "p95": percentile(latencies, 0.95),
                "server_cpu": statistics.median(run["usage"]["server_cpu"] for run in runs),
                # server CPU per answered request: what the machine's load cannot inflate
                "cpu_ms": statistics.median(
                    run["usage"]["server_cpu"]
                    * run["usage"]["wall_s"]
                    * 1000
                    / max(len(run["latencies"]), 1)
                    for run in runs
                ),
                "client_cpu": statistics.median(run["usage"]["client_cpu"] for run in runs),
                "machine": statistics.median(run["usage"]["machine_busy"] for run in runs),
                "failures": failures,
                "requests": len(latencies),
            }
        )
    base = rows[0]
    print()
    print(
        f"{'target':<36} {'req/s':>7} {'×':>6}   {'median':>9} {'×':>5}   {'p95':>9} {'×':>5}"
        f"   {'server CPU':>10} {'CPU/req':>9} {'×':>5} {'client CPU':>10} {'machine':>7}"
        f" {'non-200':>7}"
    )
    for row in rows:
        print(
            f"{row['label']:<36} {row['rps']:7.0f} {ratio(row['rps'], base['rps']):>6}   "
            f"{row['median']:6.1f} ms {ratio(row['median'], base['median']):>5}   "
            f"{row['p95']:6.1f} ms {ratio(row['p95'], base['p95']):>5}   "
            f"{row['server_cpu']:9.0%} {row['cpu_ms']:6.1f} ms "
            f"{ratio(row['cpu_ms'], base['cpu_ms']):>5} "
            f"{row['client_cpu']:10.0%} {row['machine']:7.0%} "
            f"{row['failures']:7d}"
        )
    print(
        "\nserver/client CPU: share of one core; CPU/req: server CPU time per answered "
        "request (the\nfigure the machine's other load inflates least); machine: share of "
        "both cores busy (everything running on the machine)."
    )
    if profiled:
        print("The first round of the whole page ran under py-spy (slower).")


if __name__ == "__main__":
    main()
