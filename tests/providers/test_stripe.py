"""Stripe: known-answer vectors, the stripe SDK both ways, failure cases, and the ASGI endpoint."""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import httpx
import pytest
import stripe
from hypothesis import given
from hypothesis import strategies as st

from hookreceiver import HookReceiver
from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.exceptions import (
    PayloadError,
    SignatureError,
    StaleTimestamp,
    UnsupportedContentType,
)
from hookreceiver.providers import PROVIDERS, Stripe, receive
from tests.helpers import asgi_client
from tests.providers.helpers import load_sample, memory_receiver, with_body

SECRET = "whsec_test_secret"
OLD_SECRET = "whsec_old_secret"
T = 1700000000.0


load = partial(load_sample, "stripe")


# -- known answers -------------------------------------------------------------------------


def test_vector_verifies_and_identifies() -> None:
    delivery = receive(Stripe(secret=SECRET), load("payment_intent_succeeded"), endpoint="/s", now=T)
    assert isinstance(delivery, Delivery)
    assert delivery.topic == "payment_intent.succeeded"
    assert delivery.delivery_id == "evt_test_webhook"
    assert delivery.id_source == "provider"
    assert delivery.secret_index == 0
    assert delivery.sent_at == T
    assert delivery.meta == {"object": "event"}


@pytest.mark.parametrize(
    ("secrets", "index"),
    [
        ([SECRET], 0),
        ([OLD_SECRET], 0),
        (["whsec_unrelated", OLD_SECRET], 1),
        (["whsec_unrelated", "whsec_other", SECRET], 2),
    ],
)
def test_rotation_header_matches_either_secret(secrets: list[str], index: int) -> None:
    assert Stripe(secret=secrets).verify(load("rotation"), now=T) == index


def test_v0_entries_are_ignored() -> None:
    request = load("rotation")
    v0_only = "t=1700000000," + request.headers["stripe-signature"].split(",")[-1]
    assert v0_only.split(",")[1].startswith("v0=")
    with pytest.raises(SignatureError) as caught:
        Stripe(secret=[SECRET, OLD_SECRET]).verify(load("rotation", stripe_signature=v0_only), now=T)
    assert caught.value.reason == "missing_signature"


def test_meta_carries_livemode_account_and_api_version() -> None:
    provider = Stripe(secret=SECRET)
    request = provider.sign(
        {"livemode": True, "account": "acct_1", "api_version": "2024-06-20"},
        topic="invoice.paid",
        delivery_id="evt_1",
        timestamp=T,
        url="https://x/s",
    )
    delivery = receive(provider, request, endpoint="/s", now=T)
    assert isinstance(delivery, Delivery)
    assert delivery.meta["livemode"] == "true"
    assert delivery.meta["account"] == "acct_1"
    assert delivery.meta["api_version"] == "2024-06-20"


# -- the stripe SDK, both ways -------------------------------------------------------------


def test_sdk_signed_header_verifies_with_ours() -> None:
    body = '{"id":"evt_sdk","object":"event","type":"charge.refunded","note":"\\u00e9 \u00e9"}'
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET, timestamp=int(T))
    request = load("payment_intent_succeeded", stripe_signature=header)
    delivery = receive(Stripe(secret=SECRET), with_body(request, body.encode()), endpoint="/s", now=T)
    assert isinstance(delivery, Delivery)
    assert (delivery.topic, delivery.delivery_id) == ("charge.refunded", "evt_sdk")


def test_our_signature_verifies_with_the_sdk() -> None:
    now = time.time()
    request = Stripe(secret=["whsec_new", SECRET]).sign(
        {"data": {"object": {"id": "pi_1"}}},
        topic="payment_intent.created",
        delivery_id="evt_ours",
        timestamp=now,
        url="https://example.com/s",
        secret_index=1,
    )
    event = stripe.Webhook.construct_event(request.body, request.headers["stripe-signature"], SECRET)
    assert event["type"] == "payment_intent.created"
    assert event["id"] == "evt_ours"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(request.body, request.headers["stripe-signature"], "whsec_new")


@given(
    payload=st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=20), max_size=4),
    flip=st.integers(min_value=0),
)
def test_sign_round_trip_and_any_flipped_byte_fails(payload: dict[str, Any], flip: int) -> None:
    provider = Stripe(secret=[SECRET, OLD_SECRET])
    request = provider.sign(payload, topic="x.y", timestamp=T, url="https://e/s", secret_index=1)
    delivery = receive(provider, request, endpoint="/s", now=T)
    assert isinstance(delivery, Delivery) and delivery.secret_index == 1
    assert delivery.delivery_id.startswith("evt_")
    body = bytearray(request.body)
    body[flip % len(body)] ^= 0x01
    with pytest.raises(SignatureError):
        provider.verify(with_body(request, bytes(body)), now=T)


# -- failures ------------------------------------------------------------------------------


def test_tampered_body_fails() -> None:
    request = load("payment_intent_succeeded")
    with pytest.raises(SignatureError) as caught:
        Stripe(secret=SECRET).verify(with_body(request, request.body + b" "), now=T)
    assert caught.value.reason == "bad_signature"


def test_wrong_secret_fails_and_names_no_secret() -> None:
    with pytest.raises(SignatureError) as caught:
        Stripe(secret="whsec_wrong").verify(load("payment_intent_succeeded"), now=T)
    assert "whsec" not in str(caught.value) and "whsec" not in repr(caught.value)


def test_base64_decoding_the_secret_is_not_what_stripe_does() -> None:
    """A ``whsec_`` secret is used verbatim: the Standard Webhooks reading of it must not match."""
    with pytest.raises(SignatureError):
        Stripe(secret=b"\xc2\x1e\xd7\xad\xeb\x1e\xb7\x2b").verify(load("payment_intent_succeeded"), now=T)


@pytest.mark.parametrize(
    ("now", "skew"),
    [(T + 301, 301.0), (T + 3600, 3600.0), (T - 301, -301.0)],
)
def test_stale_and_future_timestamps_carry_the_skew(now: float, skew: float) -> None:
    with pytest.raises(StaleTimestamp) as caught:
        Stripe(secret=SECRET).verify(load("payment_intent_succeeded"), now=now)
    assert caught.value.skew == skew
    assert caught.value.reason == "stale_timestamp"


@pytest.mark.parametrize("now", [T + 300, T - 300, T])
def test_inside_the_window(now: float) -> None:
    assert Stripe(secret=SECRET).verify(load("payment_intent_succeeded"), now=now) == 0


def test_window_is_configurable_and_future_can_be_opened_like_the_sdk() -> None:
    request = load("payment_intent_succeeded")
    with pytest.raises(StaleTimestamp):
        Stripe(secret=SECRET, tolerance=10).verify(request, now=T + 11)
    assert Stripe(secret=SECRET, future_tolerance=float("inf")).verify(request, now=T - 86400) == 0
    assert Stripe(secret=SECRET, tolerance=0).verify(request, now=T + 10**8) == 0


def test_signature_is_checked_before_the_time() -> None:
    request = load("payment_intent_succeeded")
    with pytest.raises(SignatureError) as caught:
        Stripe(secret="whsec_wrong").verify(request, now=T + 10_000)
    assert not isinstance(caught.value, StaleTimestamp)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing_signature"),
        ("", "missing_signature"),
        ("v1=130dc37d5a27b1b232a61e4f2ff00ed245f498112c11e8b747aff3d0fb754056", "missing_timestamp"),
        ("t=1700000000", "missing_signature"),
        ("t=1700000000,v1=zz-not-hex", "missing_signature"),
        ("t=soon,v1=130dc37d5a27b1b232a61e4f2ff00ed245f498112c11e8b747aff3d0fb754056", "bad_timestamp"),
        ("t=1700000000,v1=00", "bad_signature"),
        ("garbage", "missing_timestamp"),
    ],
)
def test_missing_or_malformed_header(header: str | None, reason: str) -> None:
    with pytest.raises(SignatureError) as caught:
        Stripe(secret=SECRET).verify(load("payment_intent_succeeded", stripe_signature=header), now=T)
    assert caught.value.reason == reason


def test_form_body_is_refused() -> None:
    provider = Stripe(secret=SECRET)
    body = b"type=payment_intent.succeeded&id=evt_1"
    header = f"t={int(T)},v1=" + stripe.WebhookSignature._compute_signature(
        f"{int(T)}.{body.decode()}", SECRET
    )
    request = load(
        "payment_intent_succeeded", stripe_signature=header, content_type="application/x-www-form-urlencoded"
    )
    with pytest.raises(UnsupportedContentType):
        receive(provider, with_body(request, body), endpoint="/s", now=T)


def test_event_without_type_is_a_payload_error() -> None:
    provider = Stripe(secret=SECRET)
    request = provider.sign({}, topic="", delivery_id="evt_1", timestamp=T, url="https://e/s")
    with pytest.raises(PayloadError) as caught:
        receive(provider, request, endpoint="/s", now=T)
    assert caught.value.reason == "missing_topic"


def test_repr_hides_the_secret_and_the_name_is_registered() -> None:
    provider = Stripe(secret=[SECRET, OLD_SECRET])
    assert "whsec" not in repr(provider) and "secrets=2" in repr(provider)
    assert PROVIDERS["stripe"] is Stripe


# -- through the ASGI app ------------------------------------------------------------------


def make_app(seen: list[Delivery]) -> HookReceiver:
    hooks = memory_receiver(T)
    endpoint = hooks.endpoint("/stripe", Stripe(secret=["whsec_new", SECRET]))

    @endpoint.on("payment_intent.*")
    def on_payment(delivery: Delivery) -> None:
        seen.append(delivery)

    return hooks


async def post(hooks: HookReceiver, request: HttpRequest) -> httpx.Response:
    async with asgi_client(hooks, "http://test") as client:
        return await client.post("/stripe", content=request.body, headers=dict(request.headers))


@pytest.mark.anyio
async def test_asgi_accepts_dedupes_and_runs_the_handler() -> None:
    seen: list[Delivery] = []
    hooks = make_app(seen)
    first = await post(hooks, load("payment_intent_succeeded"))
    assert first.status_code == 200
    assert first.json() == {
        "status": "accepted",
        "delivery_id": "evt_test_webhook",
        "topic": "payment_intent.succeeded",
    }
    again = await post(hooks, load("payment_intent_succeeded"))
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    outcomes = await hooks.worker.run_once()
    assert [o.status for o in outcomes] == ["done"]
    assert [d.secret_index for d in seen] == [1]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("changes", "body_suffix", "status", "error"),
    [
        ({}, b" ", 401, "bad_signature"),
        ({"stripe_signature": None}, b"", 401, "missing_signature"),
        ({"content_type": "text/plain"}, b"", 415, "unsupported_content_type"),
    ],
)
async def test_asgi_rejections(
    changes: dict[str, str | None], body_suffix: bytes, status: int, error: str
) -> None:
    request = load("payment_intent_succeeded", **changes)
    response = await post(make_app([]), with_body(request, request.body + body_suffix))
    assert response.status_code == status
    assert response.json()["error"] == error


@pytest.mark.anyio
async def test_asgi_stale_timestamp_is_401_with_the_reason() -> None:
    hooks = memory_receiver(T + 301)
    hooks.endpoint("/stripe", Stripe(secret=SECRET))
    response = await post(hooks, load("payment_intent_succeeded"))
    assert response.status_code == 401
    assert response.json()["error"] == "stale_timestamp"
    assert "301" in response.json()["detail"]
