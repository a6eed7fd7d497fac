"""The static files (CSS, scripts, icons, vendored htmx), under addresses that name their
content: `static_url("css/creneau.css")` is `/static/css/creneau.<digest>.css`, served with
a year's immutable lifetime, so a browser (or a proxy) never asks for it again and a new
version is a new address. Pages name their files through `static_url` (a template global),
and so does the service worker's precache list.

The plain address (`/static/css/creneau.css`) still answers, revalidated on each use
(`no-cache` with an ETag): what an older page, a notification icon or `importScripts`
asks for. A fingerprinted address whose digest is not the file's (a page rendered by a
process of another release) gets the current file, revalidated, never cached for a year.

Each file is read once per process (again if it changes on disk), and compressed once per
coding at the highest levels (brotli 11, gzip 9): the per-response compression of the
pages (app/web/compression.py) never sees them."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath
from typing import Any

import brotli  # type: ignore[import-untyped]
from litestar import Request, route
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response.base import ASGIResponse

from app.settings import PROJECT_ROOT
from app.web.compression import MINIMUM_SIZE, compressible, preferred_coding

STATIC = PROJECT_ROOT / "static"
HTMX_ASSET = "vendor/htmx/htmx-2.0.11.min.js"

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
DIGEST_LENGTH = 12
# `name.<12 hex>.ext` (or `name.<12 hex>` for a file without extension).
FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{12})(?P<suffix>\.[^./]+)?$")
# (Litestar adds `; charset=utf-8` to text/* types.)
MEDIA_TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


def _media_type(name: str) -> str:
    suffix = PurePosixPath(name).suffix
    if suffix in MEDIA_TYPES:
        return MEDIA_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or ("text/plain" if suffix == "" else "application/octet-stream")


@dataclass
class Asset:
    name: str  # relative to static/, e.g. "css/creneau.css"
    body: bytes
    stamp: tuple[int, int]  # the file's mtime (ns) and size when read
    digest: str = ""
    media_type: str = ""
    _encoded: dict[str, bytes] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.digest = hashlib.sha256(self.body).hexdigest()[:DIGEST_LENGTH]
        self.media_type = _media_type(self.name)

    @property
    def url(self) -> str:
        path = PurePosixPath(self.name)
        fingerprinted = (
            f"{path.stem}.{self.digest}{path.suffix}"
            if path.suffix
            else (f"{path.name}.{self.digest}")
        )
        return f"/static/{path.with_name(fingerprinted).as_posix()}"

    @property
    def compressible(self) -> bool:
        return compressible(self.media_type) and len(self.body) >= MINIMUM_SIZE

    def encoded(self, coding: str) -> bytes:
        """The body in this coding ("br" or "gzip"), compressed once."""
        if coding not in self._encoded:
            if coding == "br":
                self._encoded[coding] = brotli.compress(self.body, quality=11)
            else:
                self._encoded[coding] = gzip.compress(self.body, compresslevel=9, mtime=0)
        return self._encoded[coding]


class StaticAssets:
    """The files under `root`, found once; each read on first use and again if changed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._names: frozenset[str] | None = None
        self._assets: dict[str, Asset] = {}

    def names(self) -> frozenset[str]:
        if self._names is None:
            self._names = frozenset(
                path.relative_to(self.root).as_posix()
                for path in self.root.rglob("*")
                if path.is_file()
                and path.suffix != ".py"
                and not any(
                    part.startswith(".") or part == "__pycache__"
                    for part in path.relative_to(self.root).parts
                )
            )
        return self._names

    def get(self, name: str) -> Asset | None:
        if name not in self.names():
            return None
        path = self.root / name
        try:
            status = path.stat()
            stamp = (status.st_mtime_ns, status.st_size)
            asset = self._assets.get(name)
            if asset is None or asset.stamp != stamp:
                asset = self._assets[name] = Asset(name, path.read_bytes(), stamp)
        except FileNotFoundError:
            return None
        return asset

    def url(self, name: str) -> str:
        """The fingerprinted address of a file that must exist (a template names it)."""
        asset = self.get(name)
        if asset is None:
            raise LookupError(f"no static file {name!r}")
        return asset.url

    def find(self, requested: str) -> tuple[Asset, bool] | None:
        """The file a request names, and whether its address is the current fingerprinted
        one (then it may be cached for good)."""
        asset = self.get(requested)
        if asset is not None:
            return asset, False
        match = FINGERPRINTED.match(requested)
        if match is None:
            return None
        asset = self.get(match["stem"] + (match["suffix"] or ""))
        if asset is None:
            return None
        return asset, match["digest"] == asset.digest


ASSETS = StaticAssets(STATIC)


def static_url(name: str) -> str:
    """`static_url("css/creneau.css")` → `/static/css/creneau.<digest>.css`."""
    return ASSETS.url(name)


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison, `*` matches any current representation."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


@route("/static/{name:path}", http_method=["GET", "HEAD"], name="static", sync_to_thread=False)
def static_file(request: Request[Any, Any, Any], name: FromPath[PurePath]) -> ASGIResponse:
    found = ASSETS.find(PurePosixPath(name).as_posix().lstrip("/"))
    if found is None:
        raise NotFoundException()
    asset, current = found
    headers = {"Cache-Control": IMMUTABLE if current else REVALIDATE}
    body, etag = asset.body, f'"{asset.digest}"'
    if asset.compressible:
        headers["Vary"] = "Accept-Encoding"
        coding = preferred_coding(request.headers.get("accept-encoding", ""))
        if coding is not None:
            body, etag = asset.encoded(coding), f'"{asset.digest}-{coding}"'
            headers["Content-Encoding"] = coding
    headers["ETag"] = etag
    if _etag_matches(request.headers.get("if-none-match", ""), etag):
        return ASGIResponse(status_code=304, headers=headers)
    if request.method == "HEAD":
        # The headers of the GET, without its body (Litestar then sets neither).
        text = asset.media_type.startswith("text/")
        headers["Content-Type"] = asset.media_type + ("; charset=utf-8" if text else "")
        headers["Content-Length"] = str(len(body))
        return ASGIResponse(headers=headers, is_head_response=True)
    return ASGIResponse(body=body, headers=headers, media_type=asset.media_type)
