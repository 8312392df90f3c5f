"""Dropbox: the GET challenge (unsigned, echoed as text/plain with nosniff), a known-answer vector
(stdlib: hex HMAC-SHA256 of the body under the app secret, as Dropbox documents), rejections."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from hookreceiver.core.delivery import HttpRequest, Reply
from hookreceiver.exceptions import PayloadError
from hookreceiver.providers import PROVIDERS, Dropbox, GitHub, receive
from tests.providers.cases import accept, flipped, refuse, with_headers

SECRET = "dropbox_app_secret"
T = 1700000000.0
BODY = (
    b'{"list_folder": {"accounts": ["dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"]}, '
    b'"delta": {"users": [12345678]}}'
)
SIGNATURE = "36d014481addac5d3b0d4c7609a10275159f8faa725334a5f9403b76d6034594"
REQUEST = HttpRequest(
    "POST",
    "https://example.com/dropbox",
    "/dropbox",
    {"content-type": "application/json", "x-dropbox-signature": SIGNATURE},
    "",
    BODY,
)


def test_the_challenge_is_echoed_without_a_signature() -> None:
    check = HttpRequest(
        "GET", "https://example.com/dropbox?challenge=Xq2vU8", "/dropbox", {}, "challenge=Xq2vU8"
    )
    reply = receive(Dropbox(secret=SECRET), check, endpoint="/d", now=T)
    assert isinstance(reply, Reply) and reply.body == b"Xq2vU8"
    assert reply.content_type == "text/plain" and ("x-content-type-options", "nosniff") in reply.headers
    for query in ("", "challenge=", "challenge=" + "x" * 1025):
        bad = HttpRequest("GET", f"https://example.com/dropbox?{query}", "/dropbox", {}, query)
        assert refuse(Dropbox(secret=SECRET), bad, now=T, error=PayloadError).reason == "missing_challenge"


def test_known_answer_and_every_post_is_a_new_delivery() -> None:
    assert hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest() == SIGNATURE
    first, second = (
        accept(Dropbox(secret=SECRET), REQUEST, now=T),
        accept(Dropbox(secret=SECRET), REQUEST, now=T),
    )
    assert (first.topic, first.meta) == ("list_folder", {"accounts": "1"})
    assert first.delivery_id != second.delivery_id  # same body, but each says "look again"
    assert first.delivery_id.startswith("dropbox:") and first.id_source == "provider"
    assert PROVIDERS["dropbox"] is Dropbox


def test_sign_round_trip_rotation_and_rejections() -> None:
    provider = Dropbox(secret=["new", SECRET])
    request = provider.sign(
        ["dbid:one", "dbid:two"], topic="list_folder", timestamp=T, url="https://e/d", secret_index=1
    )
    assert (
        request.headers["x-dropbox-signature"]
        == hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    )
    delivery = accept(provider, request, now=T)
    assert (delivery.topic, delivery.secret_index, delivery.meta["accounts"]) == ("list_folder", 1, "2")
    refuse(Dropbox(secret=SECRET), flipped(REQUEST), now=T)
    refuse(Dropbox(secret="wrong"), REQUEST, now=T)
    assert (
        refuse(Dropbox(secret=SECRET), with_headers(REQUEST, x_dropbox_signature=None), now=T).reason
        == "missing_signature"
    )
    github = GitHub(secret=SECRET).sign({"list_folder": {}}, topic="push", timestamp=T, url="https://e")
    assert refuse(Dropbox(secret=SECRET), github, now=T).reason == "missing_signature"


@pytest.mark.parametrize("body", [b"[]", b'{"list_folder": []}'])
def test_a_notification_without_a_change_list_is_a_400(body: bytes) -> None:
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = HttpRequest(
        "POST", REQUEST.url, REQUEST.path, {**REQUEST.headers, "x-dropbox-signature": signature}, "", body
    )
    assert refuse(Dropbox(secret=SECRET), request, now=T, error=PayloadError).reason == "missing_topic"
