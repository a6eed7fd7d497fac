"""Local HTTP servers that check requests the way the SMS operators' APIs do (Brevo,
OVHcloud) or a webhook receiver would, then answer like them. They run in a thread on
127.0.0.1; each keeps the requests it accepted."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = tuple[int, dict[str, Any] | list[Any] | int]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class FakeApi:
    def __init__(self) -> None:
        self.accepted: list[Request] = []
        self.seen: list[Request] = []
        self.fail_with: int | None = None  # answer every request with this status
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                api.seen.append(request)
                if api.fail_with is not None:
                    status, payload = api.fail_with, {"message": "indisponible"}
                else:
                    status, payload = api.answer(request)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, request: Request) -> Answer:
        raise NotImplementedError

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


SENDER = re.compile(r"^(?:[A-Za-z0-9 ]{1,11}|\d{1,15})$")


class FakeBrevo(FakeApi):
    """POST /v3/transactionalSMS/send with the account's `api-key` header and a JSON body:
    sender (11 alphanumerics or 15 digits), recipient (digits with the country code),
    content; type transactional|marketing. 201 {"messageId": …} when accepted."""

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        super().__init__()

    def answer(self, request: Request) -> Answer:
        if request.method != "POST" or request.path != "/v3/transactionalSMS/send":
            return 404, {"code": "not_found", "message": "Invalid route"}
        if request.headers.get("api-key") != self.api_key:
            return 401, {"code": "unauthorized", "message": "Key not found"}
        if not request.headers.get("content-type", "").startswith("application/json"):
            return 415, {"code": "unsupported_media_type"}
        body = request.json
        if (
            not SENDER.match(body.get("sender", ""))
            or not re.fullmatch(r"\d{8,15}", body.get("recipient", ""))
            or not body.get("content")
            or body.get("type", "transactional") not in ("transactional", "marketing")
        ):
            return 400, {"code": "invalid_parameter", "message": "bad request"}
        self.accepted.append(request)
        return 201, {"messageId": 1511882900176220 + len(self.accepted)}


class FakeOvh(FakeApi):
    """GET /1.0/auth/time, and POST /1.0/sms/{service}/jobs signed with
    "$1$" + SHA1(AS+CK+METHOD+URL+BODY+TIMESTAMP); the timestamp must be within 30 s."""

    def __init__(self, application_key: str, application_secret: str, consumer_key: str):
        self.application_key = application_key
        self.application_secret = application_secret
        self.consumer_key = consumer_key
        self.service = "sms-ab12345-1"
        super().__init__()

    def answer(self, request: Request) -> Answer:
        if request.method == "GET" and request.path == "/1.0/auth/time":
            return 200, int(time.time())
        if request.method != "POST" or request.path != f"/1.0/sms/{self.service}/jobs":
            return 404, {"message": "Got an invalid (or empty) URL"}
        h = request.headers
        if h.get("x-ovh-application") != self.application_key:
            return 403, {"message": "Invalid application key"}
        if h.get("x-ovh-consumer") != self.consumer_key:
            return 403, {"message": "Invalid credential"}
        timestamp = h.get("x-ovh-timestamp", "")
        if not timestamp.isdigit() or abs(int(timestamp) - time.time()) > 30:
            return 400, {"message": "Query out of time"}
        url = f"{self.url}{request.path}"
        expected = (
            "$1$"
            + hashlib.sha1(  # noqa: S324 - OVH's scheme
                "+".join(
                    [
                        self.application_secret,
                        self.consumer_key,
                        "POST",
                        url,
                        request.body.decode(),
                        timestamp,
                    ]
                ).encode()
            ).hexdigest()
        )
        if h.get("x-ovh-signature") != expected:
            return 400, {"message": "Invalid signature"}
        body = request.json
        if not body.get("receivers") or not body.get("message"):
            return 400, {"message": "Missing receivers or message"}
        self.accepted.append(request)
        return 200, {
            "totalCreditsRemoved": 1,
            "ids": [len(self.accepted)],
            "validReceivers": body["receivers"],
            "invalidReceivers": [],
        }


class FakeWebhook(FakeApi):
    """A receiver that checks the HMAC-SHA256 signature and ignores a repeated
    Idempotency-Key (answering 200 again)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.keys: set[str] = set()
        super().__init__()

    def answer(self, request: Request) -> Answer:
        signature = (
            "sha256=" + hmac.new(self.secret.encode(), request.body, hashlib.sha256).hexdigest()
        )
        if request.headers.get("x-creneau-signature") != signature:
            return 401, {"message": "bad signature"}
        key = request.headers.get("idempotency-key", "")
        if key != request.json.get("id"):
            return 400, {"message": "idempotency key mismatch"}
        if key not in self.keys:
            self.keys.add(key)
            self.accepted.append(request)
        return 200, {"status": "queued"}


@dataclass
class Fakes:
    brevo: FakeBrevo
    ovh: FakeOvh
    webhook: FakeWebhook
    all: list[FakeApi] = field(default_factory=list)
