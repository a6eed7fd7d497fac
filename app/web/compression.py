"""Response compression (docs/DECISIONS.md §67): brotli, else gzip, for the text the
application serves (pages, htmx fragments, CSS, JavaScript, JSON, iCalendar, CSV) once it
is long enough to gain from it. Images, and anything already encoded, pass through as
they are; streamed bodies are compressed chunk by chunk (Litestar's middleware)."""

from __future__ import annotations

from litestar.config.compression import CompressionConfig
from litestar.datastructures import Headers, MutableScopeHeaders
from litestar.enums import CompressionEncoding
from litestar.middleware.compression import CompressionMiddleware
from litestar.types import Message, Receive, Scope, Send

# Shorter answers (redirects, 304, /healthz, small JSON, short fragments) travel in the
# headers' packet either way: compressing them would save no round trip. A booking's
# `.ics` (about 800 bytes) is above.
MINIMUM_SIZE = 512
# Answers are compressed per request, and in a rush the CPU is the limit: gzip at zlib's
# default level, 6 (Litestar's default, 9, gains under 2 % on our pages), brotli at
# quality 5 (6 gains under 1 %, 4 loses 10 %). Measured: the step-5 page, 18 kB, becomes
# 2.6 kB (gzip) or 2.3 kB (brotli) in about 0.1 ms.
GZIP_LEVEL = 6
BROTLI_QUALITY = 5

TEXT_TYPES = frozenset(
    {
        "application/javascript",
        "application/json",
        "application/xml",
        "image/svg+xml",
    }
)


def compressible(content_type: str) -> bool:
    """Text compresses; PNG, JPEG and other already compressed formats do not."""
    media_type = content_type.partition(";")[0].strip().lower()
    return (
        media_type.startswith("text/")
        or media_type in TEXT_TYPES
        or media_type.endswith(("+json", "+xml"))
    )


def preferred_coding(accept_encoding: str) -> str | None:
    """The coding to answer in: brotli ("br") or "gzip", whichever the client weighs more
    (brotli on a tie), or None when it accepts neither (RFC 9110 §12.5.3: `q=0` refuses a
    coding, `*` stands for those not named)."""
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, parameters = item.partition(";")
        weight = 1.0
        for parameter in parameters.split(";"):
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if name.strip():
            weights[name.strip().lower()] = weight
    candidates = {
        coding: weights.get(coding, weights.get("*", 0.0))
        for coding in (CompressionEncoding.BROTLI.value, CompressionEncoding.GZIP.value)
    }
    best = max(candidates, key=lambda coding: candidates[coding])
    return best if candidates[best] > 0 else None


class SelectiveCompression(CompressionMiddleware):
    """Litestar's middleware, given only the responses worth compressing: it would
    otherwise compress every response (PNG logos, an answer already encoded) and read
    Accept-Encoding by substring (`gzip;q=0` taken for a yes)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        coding = preferred_coding(Headers.from_scope(scope).get("accept-encoding", ""))
        if coding is None:
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self._compress_if_worth_it(send, coding, scope))

    def _compress_if_worth_it(self, send: Send, coding: str, scope: Scope) -> Send:
        target = send

        async def send_wrapper(message: Message) -> None:
            nonlocal target
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                if "content-encoding" not in headers and compressible(
                    headers.get("content-type") or ""
                ):
                    target = self.create_compression_send_wrapper(
                        send=_weak_etag_once_encoded(send), compression_encoding=coding, scope=scope
                    )
            await target(message)

        return send_wrapper


def _weak_etag_once_encoded(send: Send) -> Send:
    """A compressed body is another representation: its ETag may only be weak (RFC 9110
    §8.8.3; a weak tag still answers If-None-Match, the feeds' 304 included)."""

    async def send_wrapper(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableScopeHeaders.from_message(message)
            etag = headers.get("etag")
            if etag and "content-encoding" in headers and not etag.startswith("W/"):
                headers["etag"] = f"W/{etag}"
        await send(message)

    return send_wrapper


COMPRESSION = CompressionConfig(
    backend="brotli",
    brotli_gzip_fallback=True,
    brotli_quality=BROTLI_QUALITY,
    gzip_compress_level=GZIP_LEVEL,
    minimum_size=MINIMUM_SIZE,
    middleware_class=SelectiveCompression,
)
