"""SMS: the three operators' HTTP APIs (each against a local server that checks requests as
the real API does), the development mailbox, and the commune's subscription switch."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import pytest
from sqlalchemy import update

from app.db.models import Commune
from app.db.session import Database
from app.notifications import mailbox
from app.notifications.sms_providers import SmsProviderError, sms_provider
from app.outbox.channels import PermanentFailure
from app.settings import SmsSettings
from tests.conftest import FIXED_NOW
from tests.days import first_free
from tests.integration.fake_sms_apis import FakeBrevo, FakeOvh, FakeWebhook
from tests.integration.flow import book
from tests.integration.helpers import text_of
from tests.integration.mail_helpers import deliver, outbox, run, sms_when

BREVO_KEY = "xkeysib-test-0123456789abcdef"
OVH_SECRET = "ovh-application-secret-42"
OVH_CONSUMER = "ovh-consumer-key-42"
WEBHOOK_SECRET = "webhook-secret-42"
TEXT = "Mairie de Val-de-Lys : RDV confirme le 01/12/2026 a 10h00. Ref RDV-ABCD-EFGH."


@pytest.fixture
def settings(settings):
    # The tests run the worker themselves, with the operator they test.
    return replace(settings, embedded_worker=False)


@pytest.fixture
def brevo():
    fake = FakeBrevo(BREVO_KEY)
    yield fake
    fake.close()


@pytest.fixture
def ovh():
    fake = FakeOvh("ovh-app-key", OVH_SECRET, OVH_CONSUMER)
    yield fake
    fake.close()


@pytest.fixture
def webhook():
    fake = FakeWebhook(WEBHOOK_SECRET)
    yield fake
    fake.close()


def brevo_settings(fake: FakeBrevo, key: str = BREVO_KEY) -> SmsSettings:
    return SmsSettings(
        provider="brevo",
        sender="ValDeLys",
        brevo_api_key=key,
        brevo_url=f"{fake.url}/v3/transactionalSMS/send",
    )


def ovh_settings(fake: FakeOvh, secret: str = OVH_SECRET) -> SmsSettings:
    return SmsSettings(
        provider="ovh",
        sender="ValDeLys",
        ovh_endpoint=f"{fake.url}/1.0",
        ovh_application_key="ovh-app-key",
        ovh_application_secret=secret,
        ovh_consumer_key=OVH_CONSUMER,
        ovh_service_name=fake.service,
    )


def webhook_settings(fake: FakeWebhook, secret: str = WEBHOOK_SECRET) -> SmsSettings:
    return SmsSettings(provider="webhook", webhook_url=f"{fake.url}/sms", webhook_secret=secret)


def send(settings: SmsSettings, key: str = "booking_confirmed:uid:0:sms") -> None:
    asyncio.run(sms_provider(settings).send("+33612345678", TEXT, key))


def test_brevo_gets_a_transactional_sms(brevo):
    send(brevo_settings(brevo))
    (request,) = brevo.accepted
    assert request.json == {
        "sender": "ValDeLys",
        "recipient": "33612345678",
        "content": TEXT,
        "type": "transactional",
        "unicodeEnabled": False,
        "tag": "creneau",
    }


def test_brevo_refusing_the_key_is_a_permanent_failure_that_hides_the_key(brevo):
    with pytest.raises(PermanentFailure) as refused:
        send(brevo_settings(brevo, key="wrong-key"))
    assert "401" in str(refused.value) and "wrong-key" not in str(refused.value)
    assert brevo.accepted == []


def test_an_operator_outage_is_temporary(brevo):
    brevo.fail_with = 503
    with pytest.raises(SmsProviderError, match="503"):
        send(brevo_settings(brevo))
    brevo.fail_with = 429
    with pytest.raises(SmsProviderError, match="429"):
        send(brevo_settings(brevo))


def test_ovh_gets_a_signed_job(ovh):
    send(ovh_settings(ovh))
    (request,) = ovh.accepted
    body = request.json
    assert body["receivers"] == ["+33612345678"]
    assert body["message"] == TEXT
    assert body["sender"] == "ValDeLys"
    assert body["noStopClause"] is True
    assert OVH_SECRET not in request.body.decode() and OVH_SECRET not in str(request.headers)


def test_ovh_refuses_a_wrong_signature(ovh):
    with pytest.raises(PermanentFailure, match="400"):
        send(ovh_settings(ovh, secret="not-the-secret"))
    assert ovh.accepted == []


def test_the_webhook_gets_a_signed_idempotent_request(webhook):
    send(webhook_settings(webhook))
    send(webhook_settings(webhook))  # delivered again after a crash: same key
    assert len(webhook.seen) == 2 and len(webhook.accepted) == 1
    request = webhook.accepted[0]
    assert request.json == {
        "to": "+33612345678",
        "text": TEXT,
        "id": "booking_confirmed:uid:0:sms",
    }
    assert request.headers["idempotency-key"] == "booking_confirmed:uid:0:sms"
    with pytest.raises(PermanentFailure, match="401"):
        send(webhook_settings(webhook, secret="wrong"))


def subscribe(settings) -> None:
    async def go(db: Database) -> None:
        async with db.write() as session:
            await session.execute(update(Commune).values(sms_enabled=True))

    asyncio.run(run(go)(settings.database_url))


SENT_EMAIL = "Un e-mail de confirmation est envoyé à camille.dupont@example.org"
SENT_SMS = "et un SMS au 06 12 34 56 78"


def test_no_sms_unless_the_commune_subscribed(citizen, settings):
    _, confirmation = book(citizen)
    assert [row.channel for row in outbox(settings)] == ["email"]
    # The confirmation page says where the e-mail goes, and promises no SMS (issue 13).
    shown = text_of(confirmation.text).replace("\u00a0", " ")
    assert SENT_EMAIL in shown
    assert "SMS" not in shown


def test_the_confirmation_page_says_where_the_email_and_the_sms_go(citizen, settings):
    subscribe(settings)
    _, confirmation = book(citizen)
    assert sorted(row.channel for row in outbox(settings)) == ["email", "sms"]
    shown = text_of(confirmation.text).replace("\u00a0", " ")
    assert f"{SENT_EMAIL} {SENT_SMS}" in shown


def test_a_subscribed_commune_texts_the_confirmation_through_its_operator(
    citizen, settings, webhook, clock
):
    subscribe(settings)
    settings = replace(settings, sms=webhook_settings(webhook))
    slot, _ = book(citizen)
    assert slot == first_free().isoformat()  # the first slot offered
    assert sorted(row.channel for row in outbox(settings)) == ["email", "sms"]
    deliver(settings, clock.now)
    (request,) = webhook.accepted
    text = request.json["text"]
    assert request.json["to"] == "+33612345678"
    # « … le 30/11/2026 a 10h00 » from Monday 30 November 2026, 08:00
    assert text.startswith(f"Mairie de Val-de-Lys : RDV confirme le {sms_when(first_free())}")
    assert len(text) <= 160 and text.isascii()
    assert {row.status for row in outbox(settings)} == {"sent"}


def test_operator_secrets_never_reach_the_logs_or_the_outbox(
    citizen, settings, brevo, clock, caplog
):
    subscribe(settings)
    settings = replace(settings, sms=brevo_settings(brevo, key="secret-key-that-is-wrong"))
    book(citizen)
    with caplog.at_level(logging.DEBUG):
        deliver(settings, clock.now)
    sms_row = next(row for row in outbox(settings) if row.channel == "sms")
    assert sms_row.status == "failed" and "401" in sms_row.last_error
    for text in [caplog.text, sms_row.last_error, repr(settings)]:
        assert "secret-key-that-is-wrong" not in text
    assert "Camille" not in caplog.text and "+33612345678" not in caplog.text


def test_without_an_operator_the_sms_lands_in_the_development_mailbox(citizen, settings, clock):
    subscribe(settings)
    book(citizen)
    deliver(settings, FIXED_NOW)
    directory = mailbox.mailbox_dir(settings.data_dir)
    (sms_file,) = directory.glob("*.sms.json")
    (entry,) = [e for e in mailbox.entries(directory) if e.kind == "sms"]
    record = mailbox.read_sms(directory, entry.id)
    assert record["to"] == "+33612345678"
    assert record["text"].startswith("Mairie de Val-de-Lys : RDV confirme")
