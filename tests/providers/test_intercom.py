"""Intercom: a known-answer vector (stdlib HMAC-SHA1 over the raw body, as Intercom documents
``X-Hub-Signature``; its Python SDK has no verifier), rotation and rejections."""

from __future__ import annotations

import hashlib
import hmac

from hookreceiver.core.delivery import HttpRequest
from hookreceiver.exceptions import PayloadError
from hookreceiver.providers import PROVIDERS, GitHub, Intercom
from tests.providers.cases import accept, flipped, refuse, with_headers

SECRET = "intercom_client_secret"
T = 1700000000.0
BODY = (
    b'{"type":"notification_event","app_id":"abc123de","data":{"type":"notification_event_data",'
    b'"item":{"type":"ping","message":"something interesting happened"}},'
    b'"id":"notif_ccd8a4d2-3b8c-4a24-bbb5-3c2d7a1b8e6f","topic":"ping","delivery_status":"pending",'
    b'"delivery_attempts":1,"delivered_at":0,"first_sent_at":1700000000,"created_at":1700000000}'
)
SIGNATURE = "sha1=389c14078fb6848fd8002f6d2fc38fab30558bac"
REQUEST = HttpRequest(
    "POST",
    "https://example.com/intercom",
    "/intercom",
    {"content-type": "application/json", "x-hub-signature": SIGNATURE},
    "",
    BODY,
)


def test_known_answer() -> None:
    assert "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest() == SIGNATURE
    delivery = accept(Intercom(secret=SECRET), REQUEST, now=T)
    assert (delivery.topic, delivery.delivery_id) == ("ping", "notif_ccd8a4d2-3b8c-4a24-bbb5-3c2d7a1b8e6f")
    assert delivery.sent_at == T
    assert delivery.meta == {"app_id": "abc123de", "delivery_attempts": "1", "item_type": "ping"}
    assert PROVIDERS["intercom"] is Intercom


def test_sign_round_trip_and_rotation() -> None:
    provider = Intercom(secret=["new", SECRET])
    request = provider.sign(
        {"type": "conversation", "id": "147"},
        topic="conversation.user.created",
        delivery_id="notif_1",
        timestamp=T,
        url="https://e/i",
        secret_index=1,
    )
    assert request.headers["x-hub-signature"] == "sha1=" + (
        hmac.new(SECRET.encode(), request.body, hashlib.sha1).hexdigest()
    )
    delivery = accept(provider, request, now=T)
    assert (delivery.topic, delivery.delivery_id, delivery.secret_index) == (
        "conversation.user.created",
        "notif_1",
        1,
    )
    assert delivery.payload["data"]["item"] == {"type": "conversation", "id": "147"}


def test_rejections() -> None:
    provider = Intercom(secret=SECRET)
    refuse(provider, flipped(REQUEST), now=T)
    refuse(Intercom(secret="wrong"), REQUEST, now=T)
    assert refuse(provider, with_headers(REQUEST, x_hub_signature=None), now=T).reason == "missing_signature"
    sha256 = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    refuse(provider, with_headers(REQUEST, x_hub_signature=sha256), now=T)
    github = GitHub(secret=SECRET, legacy_sha1=True).sign(
        {"zen": "x"}, topic="ping", timestamp=T, url="https://e"
    )
    assert (
        refuse(provider, github, now=T, error=PayloadError).reason == "missing_topic"
    )  # GitHub's legacy SHA-1 is the same HMAC: only the body tells them apart
