"""Shopify: the known-answer vector, the documented algorithm recomputed, failures, ASGI."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.exceptions import PayloadError, SignatureError, UnsupportedContentType
from hookreceiver.providers import PROVIDERS, Shopify, receive
from hookreceiver.providers.shopify import parse_triggered_at
from tests.helpers import asgi_client
from tests.providers.helpers import load_sample, memory_receiver, with_body

SECRET = "shpss_test_client_secret"
NOW = 1700000000.0
EVENT_ID = "98880550-7158-44d4-b7cd-2c97c8a091b5"
WEBHOOK_ID = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"


def load(name: str = "orders_create", **header_changes: str | None) -> HttpRequest:
    return load_sample("shopify", name, **header_changes)


def events_style(request: HttpRequest) -> HttpRequest:
    """The same delivery with the newer lower-case ``shopify-*`` header names."""
    headers = {(k[2:] if k.startswith("x-shopify-") else k): v for k, v in request.headers.items()}
    return HttpRequest(request.method, request.url, request.path, headers, "", request.body)


def documented_hmac(secret: str, body: bytes) -> str:
    """Shopify's documented algorithm: base64 of HMAC-SHA256(client secret, raw body)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


# -- known answers -------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["classic", "events"])
def test_vector_verifies_and_identifies(style: str) -> None:
    request = load() if style == "classic" else events_style(load())
    delivery = receive(Shopify(secret=SECRET), request, endpoint="/shop", now=NOW)
    assert isinstance(delivery, Delivery)
    assert delivery.topic == "orders/create"
    assert delivery.delivery_id == EVENT_ID
    assert delivery.sent_at == NOW
    assert delivery.meta["shop_domain"] == "some-shop.myshopify.com"
    assert delivery.meta["api_version"] == "2025-01"
    assert delivery.meta["triggered_at"] == "2023-11-14T22:13:20.000000000Z"
    assert delivery.meta["webhook_id"] == WEBHOOK_ID
    assert delivery.payload["total_price"] == "199.00"


def test_vector_matches_the_documented_algorithm() -> None:
    request = load()
    assert documented_hmac(SECRET, request.body) == request.headers["x-shopify-hmac-sha256"]


@given(
    payload=st.dictionaries(
        st.text(min_size=1, max_size=8), st.one_of(st.text(max_size=20), st.integers()), max_size=4
    )
)
def test_our_signer_agrees_with_the_documented_algorithm(payload: dict[str, Any]) -> None:
    provider = Shopify(secret=["shpss_new", SECRET])
    request = provider.sign(
        payload,
        topic="products/update",
        delivery_id="evt-1",
        timestamp=NOW,
        url="https://e/shop",
        secret_index=1,
    )
    assert request.headers["x-shopify-hmac-sha256"] == documented_hmac(SECRET, request.body)
    delivery = receive(provider, request, endpoint="/shop", now=NOW)
    assert isinstance(delivery, Delivery)
    assert (delivery.topic, delivery.delivery_id, delivery.secret_index) == ("products/update", "evt-1", 1)
    assert delivery.sent_at == NOW


def test_rotation_reports_the_matching_index() -> None:
    assert Shopify(secret=["shpss_new", SECRET]).verify(load(), now=NOW) == 1


# -- identity ------------------------------------------------------------------------------


def test_webhook_id_is_the_fallback_id() -> None:
    delivery = receive(Shopify(secret=SECRET), load(x_shopify_event_id=None), endpoint="/s", now=NOW)
    assert isinstance(delivery, Delivery) and delivery.delivery_id == WEBHOOK_ID


def test_without_any_id_the_body_hash_is_used() -> None:
    request = load(x_shopify_event_id=None, x_shopify_webhook_id=None)
    delivery = receive(Shopify(secret=SECRET), request, endpoint="/s", now=NOW)
    assert isinstance(delivery, Delivery) and delivery.id_source == "body_hash"


def test_missing_topic() -> None:
    with pytest.raises(PayloadError) as caught:
        receive(Shopify(secret=SECRET), load(x_shopify_topic=None), endpoint="/s", now=NOW)
    assert caught.value.reason == "missing_topic"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-11-14T22:13:20.000000000Z", NOW),
        ("2023-11-14T22:13:20.123456789Z", NOW + 0.123456),
        ("2023-11-14T22:13:20Z", NOW),
        ("2023-11-15T00:13:20+02:00", NOW),
        ("2023-11-14T22:13:20", None),  # no zone: refuse to guess
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_triggered_at(text: str | None, expected: float | None) -> None:
    result = parse_triggered_at(text)
    assert result == pytest.approx(expected) if expected is not None else result is None


# -- failures ------------------------------------------------------------------------------


def test_tampered_body_and_wrong_secret_fail() -> None:
    request = load()
    with pytest.raises(SignatureError):
        Shopify(secret=SECRET).verify(with_body(request, request.body.replace(b"199", b"1")), now=NOW)
    with pytest.raises(SignatureError) as caught:
        Shopify(secret="shpss_wrong").verify(request, now=NOW)
    assert "shpss" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "missing_signature"),
        ("", "missing_signature"),
        ("!!notbase64!!", "bad_signature"),
        (base64.b64encode(b"short").decode(), "bad_signature"),
    ],
)
def test_missing_or_malformed_hmac(value: str | None, reason: str) -> None:
    with pytest.raises(SignatureError) as caught:
        Shopify(secret=SECRET).verify(load(x_shopify_hmac_sha256=value), now=NOW)
    assert caught.value.reason == reason


def test_a_hex_digest_is_not_accepted() -> None:
    request = load(x_shopify_hmac_sha256=hmac.new(SECRET.encode(), load().body, hashlib.sha256).hexdigest())
    with pytest.raises(SignatureError):
        Shopify(secret=SECRET).verify(request, now=NOW)


def test_form_body_is_refused() -> None:
    body = b"id=1"
    request = load(
        x_shopify_hmac_sha256=documented_hmac(SECRET, body), content_type="application/x-www-form-urlencoded"
    )
    with pytest.raises(UnsupportedContentType):
        receive(Shopify(secret=SECRET), with_body(request, body), endpoint="/s", now=NOW)


def test_repr_and_registry() -> None:
    assert "shpss" not in repr(Shopify(secret=SECRET))
    assert PROVIDERS["shopify"] is Shopify


# -- through the ASGI app ------------------------------------------------------------------


@pytest.mark.anyio
async def test_asgi_dedupes_on_the_event_id_across_subscriptions() -> None:
    seen: list[Delivery] = []
    hooks = memory_receiver(NOW)
    endpoint = hooks.endpoint("/shopify", Shopify(secret=SECRET))
    endpoint.on("orders/create")(seen.append)
    first = load()
    # A second subscription to the same topic: another webhook id, the same event id.
    second = load(x_shopify_webhook_id="00000000-0000-4000-8000-000000000000")
    tampered = with_body(first, first.body + b" ")
    async with asgi_client(hooks, "http://test") as client:
        statuses = []
        for request in (first, second, events_style(first), tampered):
            response = await client.post("/shopify", content=request.body, headers=dict(request.headers))
            statuses.append(
                (response.status_code, response.json().get("status") or response.json().get("error"))
            )
    assert statuses == [(200, "accepted"), (200, "duplicate"), (200, "duplicate"), (401, "bad_signature")]
    await hooks.worker.run_once()
    assert [d.delivery_id for d in seen] == [EVENT_ID]


def test_peek_delivery_id_prefers_the_event_id_in_either_header_style() -> None:
    provider = Shopify(secret="someone-else")  # a wrong secret: peeking checks nothing
    assert provider.peek_delivery_id(load()) == EVENT_ID
    assert provider.peek_delivery_id(events_style(load())) == EVENT_ID
    assert provider.peek_delivery_id(load(x_shopify_event_id=None)) == WEBHOOK_ID
    assert provider.peek_delivery_id(load(x_shopify_event_id=None, x_shopify_webhook_id=None)) is None
