"""Mailgun: the body's signature object, the mailgun SDK both ways, legacy forms, failures."""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import partial
from urllib.parse import urlencode

import pytest
from mailgun.security import SecurityGuard

from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.exceptions import PayloadError, SignatureError, StaleTimestamp
from hookreceiver.providers import PROVIDERS, Mailgun, Stripe, receive
from tests.helpers import asgi_client
from tests.providers.helpers import load_sample, memory_receiver, with_body

KEY = "key-mailgun-webhook-signing-key"
NOW = 1700000000.0
load = partial(load_sample, "mailgun")


def test_the_vector_verifies_here_and_with_the_sdk() -> None:
    request = load("delivered")
    signature = json.loads(request.body)["signature"]
    assert SecurityGuard.verify_webhook(
        KEY, signature["token"], signature["timestamp"], signature["signature"], max_age_seconds=0
    )
    delivery = receive(Mailgun(secret=["new-key", KEY]), request, endpoint="/mg", now=NOW)
    assert isinstance(delivery, Delivery)
    assert (delivery.topic, delivery.delivery_id, delivery.secret_index) == (
        "delivered",
        "CPgfbmQMTCKtHW6uIWtuVe",
        1,
    )
    assert delivery.meta["token"] == signature["token"] and delivery.sent_at == NOW


def test_our_signature_verifies_with_the_sdk() -> None:
    request = Mailgun(secret=KEY).sign(
        {"recipient": "a@b"}, topic="failed.permanent", delivery_id="ev-1", timestamp=NOW, url="https://e/mg"
    )
    signature = json.loads(request.body)["signature"]
    assert SecurityGuard.verify_webhook(
        KEY, signature["token"], signature["timestamp"], signature["signature"], max_age_seconds=0
    )
    delivery = receive(Mailgun(secret=KEY), request, endpoint="/mg", now=NOW)
    assert isinstance(delivery, Delivery)
    assert delivery.topics == ("failed.permanent", "failed") and delivery.delivery_id == "ev-1"
    assert delivery.meta["recipient"] == "a@b"


def test_legacy_form_posts_carry_the_fields_at_the_top() -> None:
    token = "f" * 50
    digest = hmac.new(KEY.encode(), b"1700000000" + token.encode(), hashlib.sha256).hexdigest()
    body = urlencode(
        {
            "event": "opened",
            "recipient": "a@b",
            "timestamp": "1700000000",
            "token": token,
            "signature": digest,
        }
    ).encode()
    request = HttpRequest(
        "POST", "https://e/mg", "/mg", {"content-type": "application/x-www-form-urlencoded"}, "", body
    )
    delivery = receive(Mailgun(secret=KEY), request, endpoint="/mg", now=NOW)
    assert isinstance(delivery, Delivery) and delivery.topic == "opened"
    assert delivery.id_source == "body_hash"


def test_window_is_900_seconds_each_way_as_in_the_sdk() -> None:
    request = load("delivered")
    Mailgun(secret=KEY).verify(request, now=NOW + 900)
    Mailgun(secret=KEY).verify(request, now=NOW - 900)
    for now in (NOW + 901, NOW - 901):
        with pytest.raises(StaleTimestamp):
            Mailgun(secret=KEY).verify(request, now=now)
    Mailgun(secret=KEY, tolerance=0).verify(request, now=NOW + 10**6)


def test_rejections() -> None:
    request = load("delivered")
    with pytest.raises(SignatureError, match="does not match"):
        receive(Mailgun(secret="wrong"), request, endpoint="/mg", now=NOW)
    tampered = request.body.replace(b'"timestamp":"1700000000"', b'"timestamp":"1700000001"')
    with pytest.raises(SignatureError, match="does not match"):
        receive(Mailgun(secret=KEY), with_body(request, tampered), endpoint="/mg", now=NOW)
    for field, reason in (
        ("signature", "missing_signature"),
        ("token", "missing_token"),
        ("timestamp", "missing_timestamp"),
    ):
        body = json.loads(request.body)
        del body["signature"][field]
        with pytest.raises(SignatureError) as caught:
            receive(
                Mailgun(secret=KEY), with_body(request, json.dumps(body).encode()), endpoint="/mg", now=NOW
            )
        assert caught.value.reason == reason
    # Another provider's signature: Stripe signs in a header, which Mailgun never reads.
    stripe = Stripe(secret=KEY).sign(
        {"data": {"object": {}}}, topic="invoice.paid", timestamp=NOW, url="https://e/mg"
    )
    with pytest.raises(SignatureError) as other:
        receive(Mailgun(secret=KEY), stripe, endpoint="/mg", now=NOW)
    assert other.value.reason == "missing_signature"


def test_the_event_is_not_signed_which_the_docs_say() -> None:
    """Mailgun signs timestamp + token only: changed event data passes the check (documented)."""
    request = load("delivered")
    changed = with_body(request, request.body.replace(b'"delivered"', b'"complained"'))
    delivery = receive(Mailgun(secret=KEY), changed, endpoint="/mg", now=NOW)
    assert isinstance(delivery, Delivery) and delivery.topic == "complained"


def test_no_event_is_a_400_and_undecodable_bodies_too() -> None:
    request = Mailgun(secret=KEY).sign({}, topic="delivered", timestamp=NOW, url="https://e/mg")
    body = json.loads(request.body)
    body["event-data"].pop("event")
    with pytest.raises(PayloadError) as caught:
        receive(Mailgun(secret=KEY), with_body(request, json.dumps(body).encode()), endpoint="/mg", now=NOW)
    assert caught.value.reason == "missing_topic"
    with pytest.raises(PayloadError):
        receive(Mailgun(secret=KEY), with_body(request, b"{not json"), endpoint="/mg", now=NOW)


def test_repr_and_name_table() -> None:
    assert KEY not in repr(Mailgun(secret=KEY)) and PROVIDERS["mailgun"] is Mailgun


@pytest.mark.anyio
async def test_through_asgi() -> None:
    hooks = memory_receiver(NOW)
    hooks.endpoint("/mg", Mailgun(secret=KEY)).on("delivered")(lambda d: None)
    request = load("delivered")
    async with asgi_client(hooks, "https://example.com") as client:
        ok = await client.post("/mg", content=request.body, headers=dict(request.headers))
        bad = await client.post(
            "/mg", content=request.body.replace(b'"b2', b'"c2'), headers=dict(request.headers)
        )
    assert ok.json()["status"] == "accepted" and bad.status_code == 401
