"""SMS operators behind one small interface: `await provider.send(to, text, key)`.

Each speaks its operator's documented HTTP API:
- Brevo: `POST /v3/transactionalSMS/send`, `api-key` header, JSON body.
- OVHcloud: `POST /1.0/sms/{service}/jobs`, signed with the application secret and consumer
  key (`$1$` + SHA-1 of AS+CK+METHOD+URL+BODY+TIMESTAMP), timestamp from `GET /auth/time`.
- A generic webhook: `POST` of `{"to", "text", "id"}`, signed with HMAC-SHA256 of the body,
  with an `Idempotency-Key` header (the message's dedupe key) so a receiver can drop a
  repeat.

A 4xx answer (other than 408 and 429) is a permanent refusal; anything else is retried.
Secrets come from settings and are never logged nor kept in error messages.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Protocol

import httpx

from app.outbox.channels import PermanentFailure
from app.settings import SmsSettings


class SmsProvider(Protocol):
    async def send(self, to: str, text: str, key: str) -> None: ...


class SmsProviderError(Exception):
    """A temporary failure of the operator (5xx, 429, network)."""


def _check(response: httpx.Response, operator: str) -> None:
    if response.is_success:
        return
    detail = f"{operator} a répondu HTTP {response.status_code}"
    if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
        raise PermanentFailure(detail)
    raise SmsProviderError(detail)


def _body(payload: dict[str, object]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


class BrevoSms:
    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings

    async def send(self, to: str, text: str, key: str) -> None:
        payload = {
            "sender": self.settings.sender,
            "recipient": to.lstrip("+"),  # international number without the plus
            "content": text,
            "type": "transactional",
            "unicodeEnabled": False,
            "tag": "creneau",
        }
        async with httpx.AsyncClient(timeout=self.settings.timeout_seconds) as client:
            response = await client.post(
                self.settings.brevo_url,
                content=_body(payload),
                headers={
                    "api-key": self.settings.brevo_api_key,
                    "accept": "application/json",
                    "content-type": "application/json",
                },
            )
        _check(response, "Brevo")


def ovh_signature(
    application_secret: str, consumer_key: str, method: str, url: str, body: str, timestamp: str
) -> str:
    joined = "+".join([application_secret, consumer_key, method, url, body, timestamp])
    return "$1$" + hashlib.sha1(joined.encode()).hexdigest()  # noqa: S324 - OVH's scheme


class OvhSms:
    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings

    async def send(self, to: str, text: str, key: str) -> None:
        s = self.settings
        url = f"{s.ovh_endpoint}/sms/{s.ovh_service_name}/jobs"
        body = _body(
            {
                "receivers": [to],
                "message": text,
                "sender": s.sender,
                "charset": "UTF-8",
                "coding": "7bit",
                "noStopClause": True,  # transactional, not marketing
                "priority": "high",
                "senderForResponse": False,
                "tag": "creneau",
            }
        ).decode()
        async with httpx.AsyncClient(timeout=s.timeout_seconds) as client:
            clock = await client.get(f"{s.ovh_endpoint}/auth/time")
            _check(clock, "OVHcloud")
            timestamp = str(int(clock.text.strip()))
            response = await client.post(
                url,
                content=body.encode(),
                headers={
                    "X-Ovh-Application": s.ovh_application_key,
                    "X-Ovh-Consumer": s.ovh_consumer_key,
                    "X-Ovh-Timestamp": timestamp,
                    "X-Ovh-Signature": ovh_signature(
                        s.ovh_application_secret, s.ovh_consumer_key, "POST", url, body, timestamp
                    ),
                    "Content-Type": "application/json",
                },
            )
        _check(response, "OVHcloud")


def webhook_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSms:
    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings

    async def send(self, to: str, text: str, key: str) -> None:
        body = _body({"to": to, "text": text, "id": key})
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        if self.settings.webhook_secret:
            headers["X-Creneau-Signature"] = webhook_signature(self.settings.webhook_secret, body)
        async with httpx.AsyncClient(timeout=self.settings.timeout_seconds) as client:
            response = await client.post(self.settings.webhook_url, content=body, headers=headers)
        _check(response, "Le webhook SMS")


def sms_provider(settings: SmsSettings) -> SmsProvider | None:
    """The configured operator, or None for the development mailbox."""
    providers: dict[str, Callable[[SmsSettings], SmsProvider]] = {
        "brevo": BrevoSms,
        "ovh": OvhSms,
        "webhook": WebhookSms,
    }
    factory = providers.get(settings.provider)
    return factory(settings) if factory else None
