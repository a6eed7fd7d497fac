"""What the HTTP benchmarks share: driving the load generator process, percentiles,
the database choice."""

from __future__ import annotations

import asyncio
import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bench import city_db
from bench.servers import PROJECT_ROOT, migrate

# The benchmarks' own database, emptied at each run (created when missing). Another one with
# CRENEAU_BENCH_POSTGRES_URL, e.g. for two people benchmarking on one PostgreSQL server.
POSTGRES_URL = os.environ.get(
    "CRENEAU_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/creneau_bench"
)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 20 values is the 19th smallest)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def run_client(spec: dict, on_ready: Callable[[], None] = lambda: None) -> dict:
    """Runs `bench.load_client` in its own process; `on_ready` runs once its drafts are
    prepared, just before the timed part starts."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.load_client"],
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin and process.stdout
    process.stdin.write(json.dumps(spec) + "\n")
    process.stdin.flush()
    try:
        ready = json.loads(process.stdout.readline() or "{}")
        if ready.get("event") != "ready":
            raise RuntimeError("the load generator failed while preparing (see above)")
        on_ready()
        process.stdin.write("go\n")
        process.stdin.flush()
        result = json.loads(process.stdout.readline() or "{}")
        if result.get("event") != "result":
            raise RuntimeError("the load generator failed during the run (see above)")
        return result
    finally:
        process.stdin.close()
        process.wait(timeout=120)


def prepare_database(database: str, data_dir: Path, **city_options) -> tuple[str, city_db.City]:
    """A fresh database with the "ville moyenne" loaded: SQLite in `data_dir`, or the
    benchmark's own PostgreSQL database emptied first."""
    if database == "postgres":
        url = POSTGRES_URL
        asyncio.run(city_db.create_postgres_database(url))
        asyncio.run(city_db.reset_postgres(url))
    else:
        url = f"sqlite+aiosqlite:///{data_dir / 'creneau.db'}"
    migrate(data_dir, url)
    return url, city_db.load(url, **city_options)


def ratio(value: float, baseline: float) -> str:
    if not baseline or math.isnan(value) or math.isnan(baseline):
        return "   –"
    return f"×{value / baseline:.2f}" if value / baseline < 10 else f"×{value / baseline:.0f}"
