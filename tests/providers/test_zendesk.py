"""Zendesk: a known-answer vector (stdlib: base64 HMAC-SHA256 of ``timestamp + body``, Zendesk's
documented formula), the worked example of an earlier revision of Zendesk's docs (which signs the
other order), event and trigger bodies, the window, rejections.

No SDK verifies Zendesk webhooks (node-zendesk 6.0.1, the API client, has no verifier)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime

import pytest

from hookreceiver.core.delivery import HttpRequest
from hookreceiver.exceptions import MethodNotAllowed, SignatureError, StaleTimestamp
from hookreceiver.providers import PROVIDERS, Shopify, Zendesk
from tests.providers.cases import accept, flipped, refuse, with_headers
from tests.providers.helpers import load_sample

SECRET = "zendesk_signing_secret"
T = 1700000000.0
STAMP = "2023-11-14T22:13:20Z"
BODY = (
    b'{"account_id":10000001,"detail":{"id":"1","status":"NEW","subject":"Missing webhooks"},"event":{},'
    b'"id":"cbe4028c-7239-495d-b020-f22348516046","subject":"zen:ticket:1","time":"2023-11-14T22:13:20Z",'
    b'"type":"zen:event-type:ticket.created","zendesk_event_version":"2022-11-06"}'
)
SIGNATURE = "MhXpw7LWBNhGWYinb8Dyamm4eivH4VljzTVIdbTVyqE="
REQUEST = HttpRequest(
    "POST",
    "https://example.com/zendesk",
    "/zendesk",
    {
        "content-type": "application/json",
        "x-zendesk-webhook-id": "01HF6KX3Z5T8V2N4Q7R9W1Y3B5",
        "x-zendesk-webhook-invocation-id": "8357312741",
        "x-zendesk-webhook-signature-timestamp": STAMP,
        "x-zendesk-webhook-signature": SIGNATURE,
    },
    "",
    BODY,
)


def test_known_answer() -> None:
    digest = hmac.new(SECRET.encode(), STAMP.encode() + BODY, hashlib.sha256).digest()
    assert base64.b64encode(digest).decode() == SIGNATURE
    delivery = accept(Zendesk(secret=SECRET), REQUEST, now=T + 200)
    assert (delivery.topic, delivery.delivery_id, delivery.sent_at) == (
        "ticket.created",
        "cbe4028c-7239-495d-b020-f22348516046",
        T,
    )
    assert delivery.meta["invocation_id"] == "8357312741" and delivery.meta["account_id"] == "10000001"
    assert PROVIDERS["zendesk"] is Zendesk


# samples/zendesk/docs_example_2021: the worked example of an earlier revision of "Verifying
# webhook authenticity", https://developer.zendesk.com/documentation/event-connectors/webhooks/verifying/
# (secret, body, timestamp and signature as given there). Its formula read
# base64(HMACSHA256((BODY)(TIMESTAMP))) and its signature is that order's. The current page,
# https://developer.zendesk.com/documentation/webhooks/verifying/, gives TIMESTAMP + BODY and no
# values; its Node example (hmac.update(timestamp + body)) and deployed verifiers use that order,
# and so do we.
DOC_SECRET = "HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA="


def test_the_earlier_docs_example_signs_body_then_timestamp_which_we_refuse() -> None:
    """Pinned so the two revisions' disagreement stays visible: the example checks out only as
    body + timestamp; our provider (timestamp + body, the current docs) refuses it, accepts the
    same bytes signed in the current order, and our sign() signs in that order."""
    request = load_sample("zendesk", "docs_example_2021")
    key, stamp = DOC_SECRET.encode(), request.headers["x-zendesk-webhook-signature-timestamp"]
    body_first = hmac.new(key, request.body + stamp.encode(), hashlib.sha256).digest()
    assert base64.b64encode(body_first).decode() == request.headers["x-zendesk-webhook-signature"]
    when = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    assert refuse(Zendesk(secret=DOC_SECRET), request, now=when).reason == "bad_signature"
    current = base64.b64encode(hmac.new(key, stamp.encode() + request.body, hashlib.sha256).digest())
    resent = with_headers(request, x_zendesk_webhook_signature=current.decode())
    assert Zendesk(secret=DOC_SECRET).verify(resent, now=when) == 0
    refuse(Zendesk(secret=DOC_SECRET), flipped(resent), now=when)
    ours = Zendesk(secret=DOC_SECRET).sign(
        json.loads(request.body), topic="webhook", timestamp=when, url=request.url
    )
    assert ours.headers["x-zendesk-webhook-signature-timestamp"] == stamp
    assert (
        ours.headers["x-zendesk-webhook-signature"]
        == base64.b64encode(hmac.new(key, stamp.encode() + ours.body, hashlib.sha256).digest()).decode()
    )


@pytest.mark.parametrize(("skew", "ok"), [(300, True), (-300, True), (301, False), (-301, False)])
def test_window(skew: float, ok: bool) -> None:
    if ok:
        assert Zendesk(secret=SECRET).verify(REQUEST, now=T + skew) == 0
    else:
        refuse(Zendesk(secret=SECRET), REQUEST, now=T + skew, error=StaleTimestamp)
    assert Zendesk(secret=SECRET, tolerance=0).verify(REQUEST, now=T + 10**6) == 0


def test_trigger_webhooks_with_a_body_of_your_own() -> None:
    provider = Zendesk(secret=["new", SECRET])
    request = provider.sign(
        {"ticket_id": "7"},
        topic="webhook",
        delivery_id="inv-1",
        timestamp=T,
        url="https://e/z",
        secret_index=1,
    )
    delivery = accept(provider, request, now=T)
    assert (delivery.topic, delivery.delivery_id, delivery.secret_index) == ("webhook", "inv-1", 1)
    assert delivery.payload == {"ticket_id": "7"}
    put = HttpRequest("PUT", request.url, request.path, request.headers, "", request.body)
    assert accept(provider, put, now=T).topic == "webhook"
    get = HttpRequest("GET", request.url, request.path, request.headers, "", b"")
    refuse(provider, get, now=T, error=MethodNotAllowed)


@pytest.mark.parametrize(
    ("stamp", "reason"),
    [(None, "missing_timestamp"), ("1700000000", "bad_timestamp"), ("2023-11-14T22:13:20", "bad_timestamp")],
)
def test_malformed_timestamps(stamp: str | None, reason: str) -> None:
    with pytest.raises(SignatureError) as caught:
        Zendesk(secret=SECRET).verify(
            with_headers(REQUEST, x_zendesk_webhook_signature_timestamp=stamp), now=T
        )
    assert caught.value.reason == reason


def test_rejections() -> None:
    refuse(Zendesk(secret=SECRET), flipped(REQUEST), now=T)
    refuse(Zendesk(secret="wrong"), REQUEST, now=T)
    moved = with_headers(REQUEST, x_zendesk_webhook_signature_timestamp="2023-11-14T22:14:20Z")
    assert refuse(Zendesk(secret=SECRET), moved, now=T + 60).reason == "bad_signature"
    body_only = base64.b64encode(hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()).decode()
    refuse(Zendesk(secret=SECRET), with_headers(REQUEST, x_zendesk_webhook_signature=body_only), now=T)
    shopify = Shopify(secret=SECRET).sign(
        json.loads(BODY), topic="orders/create", timestamp=T, url="https://e"
    )
    assert refuse(Zendesk(secret=SECRET), shopify, now=T).reason == "missing_timestamp"
