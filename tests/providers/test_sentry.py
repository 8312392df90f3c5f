"""Sentry: a known-answer vector (stdlib HMAC-SHA256 over the raw body, as Sentry's webhook docs
describe ``Sentry-Hook-Signature``; its SDK sends events and verifies nothing), rejections."""

from __future__ import annotations

import hashlib
import hmac

from hookreceiver.core.delivery import HttpRequest
from hookreceiver.exceptions import PayloadError
from hookreceiver.providers import PROVIDERS, Linear, Sentry
from tests.providers.cases import accept, flipped, refuse, with_headers

SECRET = "sentry_client_secret"
T = 1700000000.0
BODY = (
    b'{"action":"created","installation":{"uuid":"7a485448-a9e2-4c85-8a3c-4f44175783c9"},'
    b'"data":{"issue":{"id":"1170820242","title":"TypeError"}},'
    b'"actor":{"type":"application","id":"sentry","name":"Sentry"}}'
)
SIGNATURE = "7b6a6e61f09d1e331f7a73f909a30d44a23f24409e6cd9c727ea1db36c1b377c"
REQUEST = HttpRequest(
    "POST",
    "https://example.com/sentry",
    "/sentry",
    {
        "content-type": "application/json",
        "request-id": "f1b7c6a2-3d4e-4f5a-8b9c-0d1e2f3a4b5c",
        "sentry-hook-resource": "issue",
        "sentry-hook-timestamp": "1700000000",
        "sentry-hook-signature": SIGNATURE,
    },
    "",
    BODY,
)


def test_known_answer() -> None:
    assert hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest() == SIGNATURE
    delivery = accept(Sentry(secret=SECRET), REQUEST, now=T + 10**6)  # no window: nothing signs a time
    assert delivery.topics == ("issue.created", "issue")
    assert (delivery.delivery_id, delivery.sent_at) == ("f1b7c6a2-3d4e-4f5a-8b9c-0d1e2f3a4b5c", T)
    assert delivery.meta == {
        "installation": "7a485448-a9e2-4c85-8a3c-4f44175783c9",
        "actor": "Sentry",
        "issue_id": "1170820242",
    }
    assert PROVIDERS["sentry"] is Sentry


def test_sign_round_trip_and_rotation() -> None:
    provider = Sentry(secret=["new", SECRET])
    request = provider.sign(
        {"data": {}}, topic="installation.deleted", timestamp=T, url="https://e/s", secret_index=1
    )
    assert (
        request.headers["sentry-hook-signature"]
        == hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    )
    assert request.headers["sentry-hook-resource"] == "installation"
    delivery = accept(provider, request, now=T)
    assert (delivery.topic, delivery.secret_index) == ("installation.deleted", 1)


def test_rejections() -> None:
    provider = Sentry(secret=SECRET)
    refuse(provider, flipped(REQUEST), now=T)
    refuse(Sentry(secret="wrong"), REQUEST, now=T)
    assert (
        refuse(provider, with_headers(REQUEST, sentry_hook_signature=None), now=T).reason
        == "missing_signature"
    )
    assert refuse(
        provider, with_headers(REQUEST, sentry_hook_resource=None), now=T, error=PayloadError
    ).reason == ("missing_topic")
    linear = Linear(secret=SECRET).sign({}, topic="Issue.create", timestamp=T, url="https://e")
    assert refuse(provider, linear, now=T).reason == "missing_signature"
