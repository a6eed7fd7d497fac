"""`creneau serve` in a subprocess on a free port of 127.0.0.1, for the tests that need the
real server (browser tests, concurrency over HTTP)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SERVER_START_TIMEOUT = 60.0


class ServerFailed(RuntimeError):
    """The server exited or did not answer in time; the message carries its log's tail."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def log_tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def running_server(data_dir: Path, port: int | None = None, **env: str) -> Iterator[str]:
    """Serves with a fresh data folder (the demo commune) and yields the base URL. Without
    DATABASE_URL in `env`, the embedded SQLite of that folder is used. `port`: a given one
    (to restart a server where a browser expects it), else a free one."""
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ,
        "CRENEAU_DATA_DIR": str(data_dir),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "CRENEAU_PUBLIC_URL": base_url,
        "CRENEAU_DEMO": "true",
        "PYTHONUNBUFFERED": "1",
    }
    environment.pop("DATABASE_URL", None)
    environment.update(env)
    log_path = data_dir / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not healthy(f"{base_url}/healthz"):
            if process.poll() is not None:
                raise ServerFailed(
                    f"the server exited with code {process.returncode}:\n{log_tail(log_path)}"
                )
            if time.monotonic() > deadline:
                raise ServerFailed(
                    f"the server did not answer /healthz within {SERVER_START_TIMEOUT:.0f} s:\n"
                    f"{log_tail(log_path)}"
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
