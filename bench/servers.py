"""Real servers in subprocesses on a free loopback port, their CPU, and py-spy on them."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 90.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BENCH_SECRET = "bench-secret-key-not-for-production-0123456789abcdef"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all cores since boot, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _healthy(url: str, expect_body: bytes | None = None) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            if response.status != 200:
                return False
            if expect_body is not None and response.read() != expect_body:
                raise RuntimeError(
                    f"{url} answers, but not with {expect_body!r}: another application is "
                    "served there (see bench/baseline_app.py)"
                )
            return True
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Server:
    """A server subprocess: `creneau serve`, or the baseline Litestar app."""

    command: list[str]
    env: dict[str, str]
    log_path: Path
    health_path: str
    expect_body: bytes | None = None  # what the health path must answer, if it matters
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> Server:
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*self.command, "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while not _healthy(self.base_url + self.health_path, self.expect_body):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    tail = self.log_path.read_text(errors="replace").splitlines()[-30:]
                    raise RuntimeError("the server did not start:\n" + "\n".join(tail))
                time.sleep(0.2)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()


def creneau_server(data_dir: Path, database_url: str | None, name: str = "server") -> Server:
    """`python -m app.cli serve` exactly as an operator starts it (no demo commune: the
    benchmark loads its own data first). Nothing else is set: the server runs with the
    defaults of `creneau serve` (its access log, HTTP implementation, outbox worker…)."""
    env = {
        "CRENEAU_DATA_DIR": str(data_dir),
        "CRENEAU_DEMO": "false",
        "CRENEAU_SECRET_KEY": BENCH_SECRET,
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env["DATABASE_URL"] = f"sqlite+aiosqlite:///{data_dir / 'creneau.db'}"
    return Server(
        command=[sys.executable, "-m", "app.cli", "serve"],
        env=env,
        log_path=data_dir / f"{name}.log",
        health_path="/healthz",
    )


def baseline_server(data_dir: Path, name: str = "baseline") -> Server:
    """The empty Litestar route, served by `creneau serve`'s own code (bench/baseline_app.py),
    so it gets the same uvicorn options as the application whatever they become."""
    from bench.baseline_app import MARKER

    return Server(
        command=[sys.executable, "-m", "bench.baseline_app"],
        env={
            "CRENEAU_DATA_DIR": str(data_dir / "baseline"),
            "DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'baseline' / 'baseline.db'}",
            "CRENEAU_DEMO": "false",
            "CRENEAU_SECRET_KEY": BENCH_SECRET,
        },
        log_path=data_dir / f"{name}.log",
        health_path="/",
        expect_body=MARKER,
    )


@contextmanager
def started(servers: list[Server]) -> Iterator[list[Server]]:
    """Several servers started one after the other (each `serve` migrates the database and
    may create keys in it at start: never two at once), all stopped on leaving."""
    with ExitStack() as stack:
        for server in servers:
            stack.enter_context(server)
        yield servers


def creneau_servers(data_dir: Path, database_url: str, count: int) -> list[Server]:
    """`count` `creneau serve` processes on the same database, each on its own port."""
    if count == 1:
        return [creneau_server(data_dir, database_url)]
    return [creneau_server(data_dir, database_url, f"server-{n}") for n in range(1, count + 1)]


def baseline_servers(data_dir: Path, count: int) -> list[Server]:
    if count == 1:
        return [baseline_server(data_dir)]
    return [baseline_server(data_dir, f"baseline-{n}") for n in range(1, count + 1)]


def migrate(data_dir: Path, database_url: str) -> None:
    env = {
        **os.environ,
        "CRENEAU_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "CRENEAU_SECRET_KEY": BENCH_SECRET,
    }
    subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


class Profiler:
    """`py-spy record` attached to a running server, raw (collapsed) stacks with threads,
    100 samples a second without pausing the server.

    Needs the right to trace the server (root, or CAP_SYS_PTRACE, or ptrace_scope 0)."""

    def __init__(self, pid: int, output: Path, rate: int = 100) -> None:
        binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if not Path(binary).exists():
            raise RuntimeError("py-spy is missing: .venv/bin/pip install -e '.[dev,bench]'")
        self.output = output
        self.process = subprocess.Popen(
            [
                binary,
                "record",
                "--pid",
                str(pid),
                "--rate",
                str(rate),
                "--threads",
                "--nonblocking",  # never pauses the server: its figures stay comparable
                "--format",
                "raw",
                "--output",
                str(output),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def stop(self) -> Path:
        self.process.send_signal(signal.SIGINT)
        _, err = self.process.communicate(timeout=60)
        if not self.output.exists():
            raise RuntimeError(f"py-spy wrote nothing: {err.decode(errors='replace')}")
        return self.output
