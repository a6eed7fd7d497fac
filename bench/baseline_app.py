"""The HTTP baseline: an empty Litestar route, served by uvicorn as `creneau serve` serves
the application (the same uvicorn options: `app.cli.core.uvicorn_options`, no access log as
in production).

    .venv/bin/python -m bench.baseline_app --host 127.0.0.1 --port 8001
"""

from __future__ import annotations

import argparse
import logging

import uvicorn
from litestar import Litestar, get

from app.cli.core import uvicorn_options


@get("/", media_type="text/plain")
async def empty() -> str:
    return ""


app = Litestar(route_handlers=[empty])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    uvicorn.run(app, host=args.host, port=args.port, **uvicorn_options(access_log=False))


if __name__ == "__main__":
    main()
