"""Vercel: a known-answer vector (stdlib HMAC-SHA1 over the raw body, as Vercel documents
``x-vercel-signature``; there is no Python SDK), rotation and rejections."""

from __future__ import annotations

import hashlib
import hmac

from hookreceiver.core.delivery import HttpRequest
from hookreceiver.providers import PROVIDERS, Intercom, Vercel
from tests.providers.cases import accept, flipped, refuse, with_headers

SECRET = "vercel_webhook_secret"
T = 1700000000.0
BODY = (
    b'{"id":"Qc5Zx1b7dE3fG9hJ2kL4mN6p","type":"deployment.created","createdAt":1700000000000,'
    b'"payload":{"deployment":{"id":"dpl_1","name":"site"},"project":{"id":"prj_1"},"team":{"id":"team_1"}},'
    b'"region":"iad1"}'
)
SIGNATURE = "ea8a2a5133e89068580212ddd4f2f003a822b374"
REQUEST = HttpRequest(
    "POST",
    "https://example.com/vercel",
    "/vercel",
    {"content-type": "application/json", "x-vercel-signature": SIGNATURE},
    "",
    BODY,
)


def test_known_answer() -> None:
    assert hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest() == SIGNATURE
    delivery = accept(Vercel(secret=SECRET), REQUEST, now=T)
    assert (delivery.topic, delivery.delivery_id, delivery.sent_at) == (
        "deployment.created",
        "Qc5Zx1b7dE3fG9hJ2kL4mN6p",
        T,
    )
    assert delivery.meta == {
        "region": "iad1",
        "team_id": "team_1",
        "project_id": "prj_1",
        "deployment_id": "dpl_1",
    }
    assert PROVIDERS["vercel"] is Vercel


def test_sign_round_trip_and_rotation() -> None:
    provider = Vercel(secret=["new", SECRET])
    request = provider.sign(
        {"deployment": {"id": "dpl_2"}},
        topic="deployment.succeeded",
        timestamp=T,
        url="https://e/v",
        secret_index=1,
    )
    assert (
        request.headers["x-vercel-signature"]
        == hmac.new(SECRET.encode(), request.body, hashlib.sha1).hexdigest()
    )
    delivery = accept(provider, request, now=T)
    assert (delivery.topic, delivery.secret_index, delivery.meta["deployment_id"]) == (
        "deployment.succeeded",
        1,
        "dpl_2",
    )


def test_rejections() -> None:
    provider = Vercel(secret=SECRET)
    refuse(provider, flipped(REQUEST), now=T)
    refuse(Vercel(secret="wrong"), REQUEST, now=T)
    assert (
        refuse(provider, with_headers(REQUEST, x_vercel_signature=None), now=T).reason == "missing_signature"
    )
    sha256 = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    refuse(provider, with_headers(REQUEST, x_vercel_signature=sha256), now=T)
    intercom = Intercom(secret=SECRET).sign({}, topic="deployment.created", timestamp=T, url="https://e")
    assert refuse(provider, intercom, now=T).reason == "missing_signature"
