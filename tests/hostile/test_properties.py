"""Properties of the ASGI app under arbitrary requests (hypothesis, over httpx.ASGITransport).

1. Whatever is sent (method, path, headers, body), the answer is one of the documented statuses,
   never a 5xx, and a refusal is the JSON ``{"error", "detail"}`` shape.
2. Nothing unverified reaches a handler: after any unsigned request, a worker finds nothing to run.
3. A signed request with any single byte of its body changed is refused, and nothing is stored.
4. A correctly signed request with an arbitrary body is either accepted with exactly those bytes
   stored, or refused as undecodable / of the wrong type.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hookreceiver import Delivery, HookReceiver, MemoryStore, Settings, Worker
from hookreceiver.providers import GitHub, Shopify, Slack, StandardWebhooks, Stripe
from tests.helpers import NOW, asgi_client, generic, signed_headers

pytestmark = pytest.mark.anyio

SECRET = "property-secret-6d2b0e41"
# Every status an endpoint answers a sender with (docs/security.md lists them with their reasons);
# 2xx only for a verified delivery, 503 only when the store fails (not here).
REFUSALS = {400, 401, 404, 405, 408, 413, 415, 431}
PATHS = ["/generic", "/github", "/stripe", "/slack", "/shopify", "/standard"]


def _receiver(handled: list[Delivery]) -> tuple[HookReceiver, MemoryStore]:
    store = MemoryStore(clock=lambda: NOW)
    receiver = HookReceiver(store=store, settings=Settings(), run_worker=False, clock=lambda: NOW)
    providers: dict[str, Any] = {
        "/generic": generic(
            secret=SECRET, timestamp_header="x-timestamp", signed_content="{id}.{timestamp}.{body}"
        ),
        "/github": GitHub(secret=SECRET),
        "/stripe": Stripe(secret=SECRET),
        "/slack": Slack(secret=SECRET),
        "/shopify": Shopify(secret=SECRET),
        "/standard": StandardWebhooks(secret="whsec_" + base64.b64encode(SECRET.encode()).decode()),
    }
    for path, provider in providers.items():
        receiver.endpoint(path, provider, max_body_size=2048).on("*")(handled.append)
    return receiver, store


async def _run_worker(receiver: HookReceiver, store: MemoryStore) -> int:
    outcomes = await Worker(receiver.endpoints, store).run_once()
    return len(outcomes)


token = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-_"), min_size=1, max_size=24)
header_name = (
    st.sampled_from(
        [
            "content-type",
            "content-length-x",
            "x-signature",
            "x-request-id",
            "x-timestamp",
            "x-hub-signature-256",
            "x-github-event",
            "x-github-delivery",
            "stripe-signature",
            "x-slack-signature",
            "x-slack-request-timestamp",
            "x-shopify-hmac-sha256",
            "x-shopify-topic",
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
            "transfer-encoding-x",
        ]
    )
    | token
)
header_value = st.binary(max_size=80).filter(lambda v: not any(c in v for c in b"\r\n\x00"))
content_types = st.sampled_from(
    [
        b"application/json",
        b"application/x-www-form-urlencoded",
        b"text/xml",
        b"application/xml; charset=gbk",
        b"application/json; charset=utf-16",
        b"multipart/form-data; boundary=x",
        b"text/plain",
        b"",
    ]
)
json_ish = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
).map(lambda value: repr(value).replace("'", '"').encode())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    # mostly what an endpoint takes, so most examples get as far as the signature check
    method=st.sampled_from(["POST"] * 12 + ["GET", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "BREW"]),
    path=st.sampled_from(PATHS * 3 + [p + "/" for p in PATHS] + ["/", "/other", "//generic", "/generic/x"]),
    headers=st.lists(st.tuples(header_name, header_value), max_size=12),
    content_type=content_types,
    body=st.binary(max_size=3000) | json_ish,
)
async def test_any_unsigned_request_gets_a_documented_refusal_and_reaches_no_handler(
    method: str, path: str, headers: list[tuple[str, bytes]], content_type: bytes, body: bytes
) -> None:
    handled: list[Delivery] = []
    receiver, store = _receiver(handled)
    raw = [(b"content-type", content_type)] + [(name.encode(), value) for name, value in headers]
    async with asgi_client(receiver) as client:
        response = await client.request(method, path, content=body, headers=raw)
    assert response.status_code in REFUSALS, (response.status_code, response.text)
    event(f"status {response.status_code}")
    if method != "HEAD":
        assert set(response.json()) == {"error", "detail"}
    assert await _run_worker(receiver, store) == 0
    assert handled == []


def _signed_generic(body: bytes, content_type: str = "application/json") -> dict[str, str]:
    stamp = str(int(NOW))
    headers = signed_headers(f"d-1.{stamp}.".encode() + body, content_type, delivery_id="d-1", secret=SECRET)
    headers["x-timestamp"] = stamp
    return headers


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=json_ish.filter(bool), data=st.data())
async def test_any_changed_byte_of_a_signed_body_is_refused(body: bytes, data: st.DataObject) -> None:
    handled: list[Delivery] = []
    receiver, store = _receiver(handled)
    index = data.draw(st.integers(0, len(body) - 1))
    flip = data.draw(st.integers(1, 255))
    changed = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]
    async with asgi_client(receiver) as client:
        response = await client.post("/generic", content=changed, headers=_signed_generic(body))
    assert (response.status_code, response.json()["error"]) == (401, "bad_signature")
    assert await _run_worker(receiver, store) == 0 and handled == []


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.binary(max_size=1500) | json_ish | json_ish.map(lambda j: b'{"type":"t.x","v":' + j + b"}"),
    content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/xml"]),
)
async def test_a_signed_arbitrary_body_is_stored_byte_for_byte_or_refused(
    body: bytes, content_type: str
) -> None:
    handled: list[Delivery] = []
    receiver, store = _receiver(handled)
    async with asgi_client(receiver) as client:
        response = await client.post("/generic", content=body, headers=_signed_generic(body, content_type))
    event(f"status {response.status_code}")
    if response.status_code == 200:
        assert response.json()["status"] in {"accepted", "unrouted"}
        stored = await store.get("/generic:d-1")
        assert stored is not None and stored.body == body
        assert await _run_worker(receiver, store) == 1 and [d.body for d in handled] == [body]
    else:
        assert (response.status_code, response.json()["error"]) in {
            (400, "undecodable_payload"),
            (400, "bad_charset"),
            (400, "missing_topic"),
            (415, "unsupported_content_type"),
        }, response.text
        assert await _run_worker(receiver, store) == 0 and handled == []
