"""Typeform: a known-answer vector (stdlib HMAC-SHA256, base64 after ``sha256=``, as Typeform
documents ``Typeform-Signature``; no Python SDK verifies it), rejections."""

from __future__ import annotations

import base64
import hashlib
import hmac

from hookreceiver.core.delivery import HttpRequest
from hookreceiver.providers import PROVIDERS, GitHub, Typeform
from tests.providers.cases import accept, flipped, refuse, with_headers

SECRET = "typeform_secret"
T = 1700000000.0
BODY = (
    b'{"event_id":"01HF6KX3Z5T8V2N4Q7R9W1Y3B5","event_type":"form_response","form_response":'
    b'{"form_id":"lT4Z3j","token":"a3a12ec67a1365927098a606107fac15","submitted_at":"2023-11-14T22:13:20Z",'
    b'"answers":[]}}'
)
SIGNATURE = "sha256=lHAKrEF9cN7x8lGfvgIRSL3MQV6nVoOcsMG7toMvZ/E="
REQUEST = HttpRequest(
    "POST",
    "https://example.com/typeform",
    "/typeform",
    {"content-type": "application/json", "typeform-signature": SIGNATURE},
    "",
    BODY,
)


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def test_known_answer() -> None:
    assert "sha256=" + b64(hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()) == SIGNATURE
    delivery = accept(Typeform(secret=SECRET), REQUEST, now=T)
    assert (delivery.topic, delivery.delivery_id) == ("form_response", "01HF6KX3Z5T8V2N4Q7R9W1Y3B5")
    assert delivery.meta == {
        "form_id": "lT4Z3j",
        "token": "a3a12ec67a1365927098a606107fac15",
        "submitted_at": "2023-11-14T22:13:20Z",
    }
    assert PROVIDERS["typeform"] is Typeform


def test_sign_round_trip_and_rotation() -> None:
    provider = Typeform(secret=["new", SECRET])
    request = provider.sign(
        {"form_id": "f1"}, topic="form_response", timestamp=T, url="https://e/t", secret_index=1
    )
    digest = hmac.new(SECRET.encode(), request.body, hashlib.sha256).digest()
    assert request.headers["typeform-signature"] == "sha256=" + b64(digest)
    delivery = accept(provider, request, now=T)
    assert (delivery.secret_index, delivery.meta["form_id"]) == (1, "f1")
    assert delivery.delivery_id is not None and delivery.id_source == "provider"


def test_rejections() -> None:
    provider = Typeform(secret=SECRET)
    refuse(provider, flipped(REQUEST), now=T)
    refuse(Typeform(secret="wrong"), REQUEST, now=T)
    assert (
        refuse(provider, with_headers(REQUEST, typeform_signature=None), now=T).reason == "missing_signature"
    )
    hexed = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()  # GitHub's encoding
    refuse(provider, with_headers(REQUEST, typeform_signature=hexed), now=T)
    github = GitHub(secret=SECRET).sign(
        {"event_type": "form_response"}, topic="push", timestamp=T, url="https://e"
    )
    refuse(provider, github, now=T)
