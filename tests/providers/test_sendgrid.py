"""SendGrid Signed Event Webhook: the ECDSA vector, the sendgrid SDK both ways, batches, failures."""

from __future__ import annotations

import json
from functools import partial

import pytest
from sendgrid.helpers.eventwebhook import EventWebhook

from hookreceiver.core.delivery import Delivery
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError, StaleTimestamp
from hookreceiver.providers import PROVIDERS, Discord, SendGrid, receive
from hookreceiver.testing.keys import key_pair
from tests.helpers import asgi_client
from tests.providers.helpers import load_sample, memory_receiver, with_body

PUBLIC = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9ycBkUUmjSsHQqQXEbDOI9XN4PGaC6WazxpIaidm+d3Q7CG/ddqzCyMAi"
    "rQTGTvJLjrPkL8sIaIKV91G5g+VzA=="
)
NOW = 1700000000.0
PAIR = key_pair("sendgrid", "test")
load = partial(load_sample, "sendgrid")


def sdk_verifies(public: str, request_body: bytes, headers: dict[str, str]) -> bool:
    return bool(
        EventWebhook().verify_signature(
            request_body.decode(),
            headers["x-twilio-email-event-webhook-signature"],
            headers["x-twilio-email-event-webhook-timestamp"],
            EventWebhook(public).public_key,
        )
    )


def test_the_vector_verifies_here_and_with_the_sdk() -> None:
    request = load("processed")
    assert request.body.endswith(b"\r\n")  # part of the signed bytes
    assert sdk_verifies(PUBLIC, request.body, dict(request.headers))
    delivery = receive(SendGrid(secret=PUBLIC), request, endpoint="/sg", now=NOW)
    assert isinstance(delivery, Delivery)
    assert (delivery.topic, delivery.delivery_id) == ("processed", "rbtnWrG1DVDGGGFHFyun0A")
    assert delivery.sent_at == NOW and delivery.meta == {"events": "1"}


def test_our_signature_verifies_with_the_sdk() -> None:
    request = SendGrid(secret=PAIR.private).sign(
        [{"email": "a@b", "event": "x"}], topic="delivered", timestamp=NOW, url="https://e/sg"
    )
    assert sdk_verifies(PAIR.public, request.body, dict(request.headers))
    delivery = receive(SendGrid(secret=[PUBLIC, PAIR.public]), request, endpoint="/sg", now=NOW)
    assert isinstance(delivery, Delivery)
    assert (delivery.topic, delivery.secret_index) == ("delivered", 1)


def test_a_pem_public_key_is_accepted_too() -> None:
    pem = f"-----BEGIN PUBLIC KEY-----\n{PUBLIC}\n-----END PUBLIC KEY-----\n"
    assert SendGrid(secret=pem).verify(load("processed"), now=NOW) == 0


def test_mixed_batches_alias_every_event_type() -> None:
    events = [
        {"event": "open", "sg_event_id": "a"},
        {"event": "click", "sg_event_id": "b"},
        {"event": "open", "sg_event_id": "c"},
    ]
    provider = SendGrid(secret=PAIR.private)
    request = provider.sign(events, topic="batch", timestamp=NOW, url="https://e/sg")
    delivery = receive(provider, request, endpoint="/sg", now=NOW)
    assert isinstance(delivery, Delivery)
    assert delivery.topics == ("batch", "click", "open")
    assert delivery.id_source == "body_hash" and len(delivery.payload) == 3


def test_rejections() -> None:
    request = load("processed")
    provider = SendGrid(secret=PUBLIC)
    with pytest.raises(SignatureError, match="does not verify"):  # tampered, even the CRLF
        receive(provider, with_body(request, request.body.rstrip()), endpoint="/sg", now=NOW)
    with pytest.raises(SignatureError, match="does not verify"):  # the SDK's own check: ts + 1
        receive(
            provider,
            load("processed", x_twilio_email_event_webhook_timestamp="1700000001"),
            endpoint="/sg",
            now=NOW,
        )
    with pytest.raises(SignatureError, match="does not verify"):  # wrong key
        receive(SendGrid(secret=PAIR.public), request, endpoint="/sg", now=NOW)
    with pytest.raises(SignatureError, match="not valid base64"):
        receive(
            provider, load("processed", x_twilio_email_event_webhook_signature="!!"), endpoint="/sg", now=NOW
        )
    with pytest.raises(SignatureError) as missing:
        receive(
            provider, load("processed", x_twilio_email_event_webhook_signature=None), endpoint="/sg", now=NOW
        )
    assert missing.value.reason == "missing_signature"
    # No window by default (as in the SDK); one can be asked for.
    assert SendGrid(secret=PUBLIC).verify(request, now=NOW + 10**6) == 0
    with pytest.raises(StaleTimestamp):
        SendGrid(secret=PUBLIC, tolerance=300).verify(request, now=NOW + 301)
    # Another provider's signature (Discord's Ed25519 headers).
    discord = Discord(secret=key_pair("discord", "x").private).sign(
        {}, topic="ping", timestamp=NOW, url="https://e/sg"
    )
    with pytest.raises(SignatureError):
        receive(provider, discord, endpoint="/sg", now=NOW)


def test_a_body_that_is_not_an_event_array_is_a_400() -> None:
    provider = SendGrid(secret=PAIR.private)
    request = provider.sign([], topic="delivered", timestamp=NOW, url="https://e/sg")
    with pytest.raises(PayloadError) as caught:
        receive(provider, request, endpoint="/sg", now=NOW)
    assert caught.value.reason == "missing_topic"


@pytest.mark.parametrize(
    "bad",
    [
        "not base64!",
        "AAAA",
        key_pair("discord", "x").private,
        "MCowBQYDK2VwAyEAA6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=",
    ],
)
def test_bad_keys_are_configuration_errors(bad: str) -> None:
    with pytest.raises(ConfigurationError):
        SendGrid(secret=bad)


def test_repr_and_name_table() -> None:
    assert PUBLIC not in repr(SendGrid(secret=PUBLIC)) and PROVIDERS["sendgrid"] is SendGrid


@pytest.mark.anyio
async def test_through_asgi() -> None:
    hooks = memory_receiver(NOW)
    hooks.endpoint("/sg", SendGrid(secret=PUBLIC)).on("processed")(lambda d: None)
    request = load("processed")
    async with asgi_client(hooks, "https://example.com") as client:
        ok = await client.post("/sg", content=request.body, headers=dict(request.headers))
        bad = await client.post("/sg", content=request.body[:-2], headers=dict(request.headers))
    assert ok.json()["status"] == "accepted" and bad.status_code == 401
    assert json.loads(request.body)[0]["event"] == "processed"
