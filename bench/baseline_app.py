"""The HTTP baseline: an empty Litestar route, served by `creneau serve`'s own code.

    .venv/bin/python -m bench.baseline_app --host 127.0.0.1 --port 8001

`app.cli` is run with `serve` exactly as an operator runs it, except that the application
it builds is this empty route instead of Créneau: whatever `creneau serve` sets for uvicorn
(access log, `uvloop`/`httptools`, proxy headers…) applies to the baseline too, so the
ratios the benchmarks print keep comparing the application with the same HTTP layer. It
needs the environment of a server (`CRENEAU_DATA_DIR`, `DATABASE_URL`: `serve` migrates
its database before serving; `bench/servers.py` gives it an SQLite file of its own).

The route answers MARKER: the benchmarks check it, so that a `serve` that stopped calling
`app.asgi.create_app` (the real application served instead of the empty route) fails
loudly instead of giving a wrong baseline.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from litestar import Litestar, get

MARKER = b"creneau-bench-baseline"


@get("/", media_type="text/plain")
async def empty() -> bytes:
    return MARKER


empty_app = Litestar(route_handlers=[empty])


def create_empty_app(*_args, **_kwargs) -> Litestar:
    return empty_app


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()

    asgi = importlib.import_module("app.asgi")
    cli = importlib.import_module("app.cli")
    asgi.create_app = create_empty_app  # what `serve` imports when it starts
    return cli.main(["serve", "--host", args.host, "--port", str(args.port)])


if __name__ == "__main__":
    sys.exit(main())
