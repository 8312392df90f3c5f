"""Linear: a known-answer vector checked with Linear's SDK (samples/linear/issue_create), a
stdlib one (hex HMAC-SHA256 of the raw body, ``webhookTimestamp`` within 60 s), failures."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from hookreceiver.core.delivery import HttpRequest
from hookreceiver.exceptions import StaleTimestamp
from hookreceiver.providers import PROVIDERS, Linear, Vercel
from tests.providers.cases import accept, flipped, refuse, with_headers
from tests.providers.helpers import load_sample

SECRET = "lin_wh_test_secret"
T = 1700000000.0
BODY = (
    b'{"action":"create","type":"Issue","data":{"id":"2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9",'
    b'"title":"Retry webhooks"},"url":"https://linear.app/acme/issue/ENG-1","organizationId":"3a1b5e8c",'
    b'"webhookId":"000042e3","createdAt":"2023-11-14T22:13:20.000Z","webhookTimestamp":1700000000000}'
)
SIGNATURE = "9f981bc08a8fb62795654cce772f02c3b110e6f81aec3a7bddc175a23ddcebe7"
REQUEST = HttpRequest(
    "POST",
    "https://example.com/linear",
    "/linear",
    {
        "content-type": "application/json; charset=utf-8",
        "linear-signature": SIGNATURE,
        "linear-delivery": "234d1a4e-b617-4388-90fe-adc3633d6b72",
        "linear-event": "Issue",
    },
    "",
    BODY,
)


def test_known_answer() -> None:
    assert hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest() == SIGNATURE
    delivery = accept(Linear(secret=SECRET), REQUEST, now=T + 30)
    assert delivery.topics == ("Issue.create", "Issue")
    assert delivery.delivery_id == "234d1a4e-b617-4388-90fe-adc3633d6b72"
    assert delivery.sent_at == T
    assert delivery.meta == {
        "webhook_id": "000042e3",
        "organization_id": "3a1b5e8c",
        "url": "https://linear.app/acme/issue/ENG-1",
    }
    assert PROVIDERS["linear"] is Linear


@pytest.mark.parametrize(("skew", "ok"), [(60, True), (-60, True), (61, False), (-61, False)])
def test_sixty_second_window_both_ways(skew: float, ok: bool) -> None:
    if ok:
        assert Linear(secret=SECRET).verify(REQUEST, now=T + skew) == 0
    else:
        refuse(Linear(secret=SECRET), REQUEST, now=T + skew, error=StaleTimestamp)
    assert Linear(secret=SECRET, tolerance=0).verify(REQUEST, now=T + 10**6) == 0


def test_the_timestamp_is_required_and_signed() -> None:
    value = json.loads(BODY)
    del value["webhookTimestamp"]
    body = json.dumps(value).encode()
    unstamped = with_headers(
        HttpRequest("POST", REQUEST.url, REQUEST.path, REQUEST.headers, "", body),
        linear_signature=hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
    )
    assert refuse(Linear(secret=SECRET), unstamped, now=T).reason == "missing_timestamp"
    assert Linear(secret=SECRET, tolerance=0).verify(unstamped, now=T) == 0
    moved = HttpRequest(
        "POST",
        REQUEST.url,
        REQUEST.path,
        REQUEST.headers,
        "",
        BODY.replace(b"1700000000000", b"1700000090000"),
    )
    assert refuse(Linear(secret=SECRET), moved, now=T + 90).reason == "bad_signature"


def test_sign_round_trip_rotation_and_rejections() -> None:
    provider = Linear(secret=["new-secret", SECRET])
    request = provider.sign(
        {"data": {"id": "c1"}}, topic="Comment.create", timestamp=T, url="https://e/l", secret_index=1
    )
    assert hmac.compare_digest(
        request.headers["linear-signature"],
        hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest(),
    )
    delivery = accept(provider, request, now=T)
    assert (delivery.topic, delivery.secret_index, delivery.sent_at) == ("Comment.create", 1, T)
    refuse(Linear(secret=SECRET), flipped(REQUEST), now=T)
    refuse(Linear(secret="wrong"), REQUEST, now=T)
    assert refuse(Linear(secret=SECRET), with_headers(REQUEST, linear_signature=None), now=T).reason == (
        "missing_signature"
    )
    vercel = Vercel(secret=SECRET).sign({}, topic="deployment.created", timestamp=T, url="https://e/l")
    refuse(Linear(secret=SECRET), vercel, now=T)


# -- the vector checked with @linear/sdk -------------------------------------------------------

SDK_SECRET = "lin_wh_oracle_7c2e91d4a5b8"
SDK_PAYLOAD = {
    "data": {
        "id": "9cfb482a-81e3-4154-b5b9-2c805e70a02d",
        "identifier": "ENG-42",
        "title": "Verify webhooks with the SDK",
    },
    "url": "https://linear.app/acme/issue/ENG-42",
    "organizationId": "5b3b7d6e-1c1a-4f5e-9d0f-3b2c8a1e6f70",
    "webhookId": "f0e1d2c3-b4a5-4697-8877-665544332211",
}


def test_the_vector_linears_sdk_accepts() -> None:
    """samples/linear/issue_create is accepted by @linear/sdk 98.0.0's
    ``LinearWebhookClient.verify`` (the ``@linear/sdk/webhooks`` entry point) with the clock at
    its ``webhookTimestamp``, and 60 s later; refused 61 s later, with a flipped body byte and
    under another secret. Re-run: ``npm install --prefix /tmp/oracles @linear/sdk@98.0.0`` then
    ``node tests/providers/oracles/linear.mjs`` (prints one ``ok`` per check)."""
    request = load_sample("linear", "issue_create")
    delivery = accept(Linear(secret=SDK_SECRET), request, now=T)
    assert (delivery.topic, delivery.delivery_id) == ("Issue.create", "6c1f6f8e-53d0-4a3f-9a53-0b8a4c2e1d7f")
    assert Linear(secret=SDK_SECRET).verify(request, now=T + 60) == 0
    refuse(Linear(secret=SDK_SECRET), request, now=T + 61, error=StaleTimestamp)
    refuse(Linear(secret=SDK_SECRET), flipped(request), now=T)
    refuse(Linear(secret="lin_wh_other"), request, now=T)
    # our sign() makes the same request from the same inputs
    ours = Linear(secret=SDK_SECRET).sign(
        SDK_PAYLOAD,
        topic="Issue.create",
        delivery_id="6c1f6f8e-53d0-4a3f-9a53-0b8a4c2e1d7f",
        timestamp=T,
        url=request.url,
    )
    assert ours.body == request.body
    assert dict(ours.headers) == request.headers  # the signature header among them
