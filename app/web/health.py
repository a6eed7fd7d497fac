"""Liveness for the container's health check."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from sqlalchemy import text


@get("/healthz", name="health")
async def health(request: Request[Any, Any, Any]) -> dict[str, str]:
    async with request.app.state.db.read() as session:
        await session.execute(text("SELECT 1"))
    return {"status": "ok"}
