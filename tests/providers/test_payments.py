"""Square, Razorpay, Paystack, Coinbase Commerce: vectors, their SDKs (or stdlib), failures, ASGI."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from functools import partial
from typing import Any

import pytest
import razorpay
from coinbase_commerce.error import SignatureVerificationError as CoinbaseSignatureError
from coinbase_commerce.webhook import Webhook as CoinbaseWebhook

from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.exceptions import SignatureError, UnsupportedContentType
from hookreceiver.providers import PROVIDERS, Coinbase, GitHub, Paystack, Razorpay, Square, receive
from tests.helpers import asgi_client
from tests.providers.cases import flipped
from tests.providers.helpers import load_sample, memory_receiver, with_body

T = 1700000000.0
URL = "https://example.com/webhooks/square"
SQUARE_KEY = "sq_signature_key_test"
load_square = partial(load_sample, "square", "payment_updated")


def accept(provider: Any, request: HttpRequest) -> Delivery:
    delivery = receive(provider, request, endpoint="/in", now=T)
    assert isinstance(delivery, Delivery)
    return delivery


# -- Square (PROVIDERS.md vector, checked with squareup 46's verify_signature) -------------


def test_square_vector_and_legacy_sha1() -> None:
    delivery = accept(Square(secret=SQUARE_KEY), load_square())
    assert delivery.topic == "payment.updated"
    assert delivery.delivery_id == "13b867cf-db3d-4b1c-90b6-2f32a9d78124"
    assert delivery.meta["merchant_id"] == "6SSW7HV8K2ST5"
    legacy = load_square(x_square_hmacsha256_signature=None)
    with pytest.raises(SignatureError):
        Square(secret=SQUARE_KEY).verify(legacy, now=T)
    assert Square(secret=SQUARE_KEY, legacy_sha1=True).verify(legacy, now=T) == 0


def test_square_url_must_match_byte_for_byte() -> None:
    with pytest.raises(SignatureError):
        Square(secret=SQUARE_KEY).verify(load_square(url=URL + "/"), now=T)
    behind_proxy = load_square(url="http://internal:8000/webhooks/square")
    assert Square(secret=SQUARE_KEY, notification_url=URL).verify(behind_proxy, now=T) == 0


def test_square_sign_round_trip_and_rotation() -> None:
    square = Square(secret=["new-key", SQUARE_KEY])
    request = square.sign({"data": {"id": "x"}}, topic="refund.created", timestamp=T, url=URL, secret_index=1)
    digest = hmac.new(SQUARE_KEY.encode(), URL.encode() + request.body, hashlib.sha256).digest()
    assert request.headers["x-square-hmacsha256-signature"] == base64.b64encode(digest).decode()
    assert accept(square, request).secret_index == 1


# -- Razorpay (razorpay 2.0.1 Utility.verify_webhook_signature) -----------------------------


def test_razorpay_sdk_both_ways() -> None:
    provider = Razorpay(secret=["rzp_new", "rzp_whsecret"])
    request = provider.sign(
        {"payload": {"payment": {"entity": {"id": "pay_1"}}}},
        topic="payment.captured",
        delivery_id="KzV2bQ1xYxA8",
        timestamp=T,
        url="https://e/rzp",
        secret_index=1,
    )
    utility = razorpay.Utility(None)
    assert utility.verify_webhook_signature(
        request.body.decode(), request.headers["x-razorpay-signature"], "rzp_whsecret"
    )
    with pytest.raises(razorpay.errors.SignatureVerificationError):
        utility.verify_webhook_signature(
            request.body.decode(), request.headers["x-razorpay-signature"], "rzp_new"
        )
    delivery = accept(provider, request)
    assert (delivery.topic, delivery.delivery_id) == ("payment.captured", "KzV2bQ1xYxA8")
    assert delivery.secret_index == 1
    assert delivery.sent_at == T
    assert provider.peek_delivery_id(request) == "KzV2bQ1xYxA8"


def test_razorpay_known_answer() -> None:
    body = b'{"entity":"event","event":"payment.captured","payload":{}}'
    signature = hmac.new(b"rzp_whsecret", body, hashlib.sha256).hexdigest()
    request = HttpRequest(
        "POST",
        "https://e/rzp",
        "/rzp",
        {"content-type": "application/json", "x-razorpay-signature": signature, "x-razorpay-event-id": "Ev1"},
        "",
        body,
    )
    assert accept(Razorpay(secret="rzp_whsecret"), request).delivery_id == "Ev1"


# -- Paystack (no official Python SDK: two community libraries, and stdlib hmac) ----------

PAYSTACK_SDK_KEY = "sk_test_0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
PAYSTACK_SDK_DATA = {
    "id": 3311720394,
    "domain": "test",
    "status": "success",
    "amount": 250000,
    "currency": "NGN",
    "channel": "card",
    "paid_at": "2023-11-14T22:13:18.000Z",
    "customer": {"id": 150872355, "email": "ada@example.com", "customer_code": "CUS_x7wq0f8xdrn2mlk"},
}


def test_paystack_vector_the_python_libraries_accept() -> None:
    """samples/paystack/charge_success is accepted by pypaystack2 3.4.0
    (``PaystackClient.is_verified_webhook_payload``) and paystackease 2.3.7
    (``PayStackSignature.verify_headers``), and refused by both with a flipped body byte or
    another key. Neither is in the test extra (pypaystack2 3.4.0 requires pydantic>=2.14, an upgrade
    of the test environment); re-run them with ``tests/providers/oracles/paystack.py``."""
    request = load_sample("paystack", "charge_success")
    delivery = accept(Paystack(secret=PAYSTACK_SDK_KEY), request)
    assert (delivery.topic, delivery.meta["reference"]) == ("charge.success", "T740518377186915")
    for bad in (flipped(request), request):
        with pytest.raises(SignatureError):
            Paystack(secret=PAYSTACK_SDK_KEY if bad is not request else "sk_test_other").verify(bad, now=T)
    ours = Paystack(secret=PAYSTACK_SDK_KEY).sign(
        {"event": "charge.success", "data": PAYSTACK_SDK_DATA},
        topic="charge.success",
        delivery_id="T740518377186915",
        timestamp=T,
        url=request.url,
    )
    assert (ours.body, dict(ours.headers)) == (request.body, request.headers)


def test_paystack_sha512_known_answer_and_body_hash_dedupe() -> None:
    body = b'{"event":"charge.success","data":{"id":302961,"reference":"qTPrJoy9Bx"}}'
    signature = hmac.new(b"sk_test_paystack", body, hashlib.sha512).hexdigest()
    request = HttpRequest(
        "POST",
        "https://e/ps",
        "/ps",
        {"content-type": "application/json", "x-paystack-signature": signature},
        "",
        body,
    )
    delivery = accept(Paystack(secret=["sk_test_new", "sk_test_paystack"]), request)
    assert (delivery.topic, delivery.id_source, delivery.secret_index) == ("charge.success", "body_hash", 1)
    assert delivery.meta == {"reference": "qTPrJoy9Bx", "object_id": "302961"}
    sha256_signed = replace_header(
        request, "x-paystack-signature", hmac.new(b"sk_test_paystack", body, hashlib.sha256).hexdigest()
    )
    with pytest.raises(SignatureError):
        Paystack(secret="sk_test_paystack").verify(sha256_signed, now=T)


def replace_header(request: HttpRequest, name: str, value: str) -> HttpRequest:
    return HttpRequest(
        request.method,
        request.url,
        request.path,
        {**request.headers, name: value},
        request.query_string,
        request.body,
    )


# -- Coinbase Commerce (coinbase-commerce 1.0.1 Webhook.construct_event) -------------------


def test_coinbase_sdk_both_ways() -> None:
    provider = Coinbase(secret="cc_shared_secret")
    request = provider.sign(
        {"data": {"code": "66BEOV2A"}},
        topic="charge:confirmed",
        delivery_id="f3c4a7f1-0000-4000-8000-000000000001",
        timestamp=T,
        url="https://e/cc",
    )
    event = CoinbaseWebhook.construct_event(
        request.body.decode(), request.headers["x-cc-webhook-signature"], "cc_shared_secret"
    )
    assert event["type"] == "charge:confirmed"
    with pytest.raises(CoinbaseSignatureError):
        CoinbaseWebhook.construct_event(
            request.body.decode(), request.headers["x-cc-webhook-signature"], "other"
        )
    delivery = accept(provider, request)
    assert delivery.topic == "charge:confirmed"
    assert delivery.delivery_id == "f3c4a7f1-0000-4000-8000-000000000001"
    assert delivery.meta["attempt_number"] == "1"
    body = json.dumps({"id": "n1", "event": {"id": "e1", "type": "charge:failed"}}).encode()
    sdk_signed = HttpRequest(
        "POST",
        "https://e/cc",
        "/cc",
        {
            "content-type": "application/json",
            "x-cc-webhook-signature": hmac.new(b"cc_shared_secret", body, hashlib.sha256).hexdigest(),
        },
        "",
        body,
    )
    assert accept(provider, sdk_signed).delivery_id == "e1"


# -- shared rejections ----------------------------------------------------------------------

SIGNERS = {
    "square": SQUARE_KEY,
    "razorpay": "rzp_whsecret",
    "paystack": "sk_test_paystack",
    "coinbase": "cc_shared_secret",
}


@pytest.mark.parametrize("name", sorted(SIGNERS))
def test_tampered_wrong_key_other_provider_and_content_type(name: str) -> None:
    provider: Any = PROVIDERS[name](secret=SIGNERS[name])
    request = provider.sign({"data": {"id": "x1"}}, topic="thing.done", timestamp=T, url=URL)
    assert accept(provider, request).topic == "thing.done"
    with pytest.raises(SignatureError):
        provider.verify(with_body(request, request.body.replace(b"x1", b"x2")), now=T)
    with pytest.raises(SignatureError):
        PROVIDERS[name](secret="wrong-key").verify(request, now=T)
    github = GitHub(secret=SIGNERS[name]).sign({"data": {"id": "x1"}}, topic="push", timestamp=T, url=URL)
    with pytest.raises(SignatureError) as caught:
        provider.verify(github, now=T)
    assert caught.value.reason == "missing_signature"
    with pytest.raises(UnsupportedContentType):
        receive(provider, replace_header(request, "content-type", "text/plain"), endpoint="/in", now=T)
    assert SIGNERS[name] not in repr(provider)


@pytest.mark.anyio
@pytest.mark.parametrize("name", sorted(SIGNERS))
async def test_asgi_accepts_and_dedupes(name: str) -> None:
    hooks = memory_receiver(T)
    provider: Any = PROVIDERS[name](secret=SIGNERS[name])
    hooks.endpoint("/in", provider).on("*")(lambda d: None)
    request = provider.sign({"data": {"id": "x1"}}, topic="thing.done", timestamp=T, url="http://test/in")
    async with asgi_client(hooks, "http://test") as client:
        first = await client.post("/in", content=request.body, headers=dict(request.headers))
        again = await client.post("/in", content=request.body, headers=dict(request.headers))
    assert first.status_code == 200 and first.json()["status"] == "accepted", first.text
    assert again.json()["status"] == "duplicate"
