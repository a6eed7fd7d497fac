"""A local Web Push service on 127.0.0.1, checking requests the way a real one does: the
VAPID token (RFC 8292: ES256 JWT, `aud` = its own origin, `exp` within 24 hours, `sub` a
mailto: or https: contact, signed by the key in `k`), then decrypting the `aes128gcm` body
(RFC 8291) with the subscriber's own keys, as the browser would."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

MAX_TOKEN_SECONDS = 24 * 3600


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64url(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


@dataclass
class Subscriber:
    """A browser's side of one subscription: its P-256 key pair and auth secret."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def subscription(self, endpoint: str) -> dict[str, Any]:
        return {"endpoint": endpoint, "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)}}

    def decrypt(self, body: bytes) -> bytes:
        return http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm"
        )


@dataclass
class Delivered:
    path: str
    vapid_key: str
    claims: dict[str, Any]
    headers: dict[str, str]
    notification: dict[str, Any]


class PushService:
    def __init__(self) -> None:
        self.subscribers: dict[str, Subscriber] = {}  # path → subscriber
        self.delivered: list[Delivered] = []
        self.refused: list[str] = []  # why requests were refused (a test asserts it is empty)
        self.answer = 201
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = service.receive(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def new_subscription(self, name: str) -> tuple[Subscriber, dict[str, Any]]:
        subscriber = Subscriber()
        self.subscribers[f"/push/{name}"] = subscriber
        return subscriber, subscriber.subscription(f"{self.origin}/push/{name}")

    def receive(self, path: str, headers: dict[str, str], body: bytes) -> int:
        headers = {name.lower(): value for name, value in headers.items()}
        try:
            key, claims = self.check_vapid(headers.get("authorization", ""))
            if headers.get("content-encoding") != "aes128gcm":
                raise ValueError(f"Content-Encoding {headers.get('content-encoding')!r}")
            if not headers.get("ttl", "").isdigit():
                raise ValueError("no TTL header")
            subscriber = self.subscribers[path]
            notification = json.loads(subscriber.decrypt(body))
        except (ValueError, KeyError, InvalidSignature) as problem:
            self.refused.append(f"{path}: {problem!r}")
            return 400
        if self.answer < 300:
            self.delivered.append(Delivered(path, key, claims, headers, notification))
        return self.answer

    def check_vapid(self, authorization: str) -> tuple[str, dict[str, Any]]:
        scheme, _, params = authorization.partition(" ")
        if scheme != "vapid":
            raise ValueError(f"Authorization scheme {scheme!r}")
        parts = dict(part.strip().split("=", 1) for part in params.split(","))
        token, key = parts["t"], parts["k"]
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(b64url_decode(header_b64))
        if header.get("alg") != "ES256":
            raise ValueError(f"alg {header.get('alg')!r}")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
        signature = b64url_decode(signature_b64)
        if len(signature) != 64:
            raise ValueError("ES256 signature is not 64 bytes")
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        claims = json.loads(b64url_decode(claims_b64))
        if claims.get("aud") != self.origin:
            raise ValueError(f"aud {claims.get('aud')!r} is not {self.origin}")
        now = time.time()
        if not now < claims.get("exp", 0) <= now + MAX_TOKEN_SECONDS:
            raise ValueError(f"exp {claims.get('exp')!r} not within 24 h")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            raise ValueError(f"sub {claims.get('sub')!r}")
        return key, claims

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
