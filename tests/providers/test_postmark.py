"""Postmark: basic auth or a custom header token; RecordType topics; ids per record type."""

from __future__ import annotations

import base64
import json

import pytest

from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError
from hookreceiver.providers import PROVIDERS, GitLab, Postmark, receive
from hookreceiver.testing import build_request
from tests.helpers import asgi_client
from tests.providers.helpers import memory_receiver

CREDENTIALS = "hooks:correct horse battery"
NOW = 1700000000.0
BODY = json.dumps(
    {
        "RecordType": "Delivery",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Recipient": "john@example.com",
        "MessageStream": "outbound",
        "DeliveredAt": "2023-11-14T22:13:20Z",
    }
).encode()


def post(headers: dict[str, str], body: bytes = BODY) -> HttpRequest:
    return HttpRequest(
        "POST", "https://example.com/pm", "/pm", {"content-type": "application/json", **headers}, "", body
    )


def basic(credentials: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def test_basic_auth_as_a_browser_or_postmark_sends_it() -> None:
    delivery = receive(
        Postmark(secret=["hooks:old", CREDENTIALS]), post(basic(CREDENTIALS)), endpoint="/pm", now=NOW
    )
    assert isinstance(delivery, Delivery)
    assert (delivery.topic, delivery.secret_index) == ("Delivery", 1)
    assert delivery.delivery_id == "Delivery:883953f4-6105-42a2-a16a-77a8eac79483"
    assert delivery.meta["recipient"] == "john@example.com"
    assert "authorization" not in delivery.headers


def test_a_custom_header_token() -> None:
    provider = Postmark(secret="s3cret-token", header="X-Postmark-Token")
    delivery = receive(provider, post({"x-postmark-token": "s3cret-token"}), endpoint="/pm", now=NOW)
    assert isinstance(delivery, Delivery) and "x-postmark-token" not in delivery.headers
    with pytest.raises(SignatureError):
        receive(provider, post(basic("x:s3cret-token")), endpoint="/pm", now=NOW)


@pytest.mark.parametrize(
    ("topic", "topics", "id_prefix"),
    [
        ("Bounce", ("Bounce.HardBounce", "Bounce"), "Bounce:"),
        ("Delivery", ("Delivery",), "Delivery:"),
        ("Inbound", ("Inbound",), "Inbound:"),
    ],
)
def test_samples(topic: str, topics: tuple[str, ...], id_prefix: str) -> None:
    request = build_request("postmark", secret=CREDENTIALS, topic=topic, timestamp=NOW)
    delivery = receive(Postmark(secret=CREDENTIALS), request, endpoint="/pm", now=NOW)
    assert isinstance(delivery, Delivery)
    assert delivery.topics == topics and delivery.delivery_id.startswith(id_prefix)


def test_opens_have_no_id_of_their_own() -> None:
    provider = Postmark(secret=CREDENTIALS)
    request = provider.sign(
        {"MessageID": "m", "ReceivedAt": "2023-11-14T22:13:20Z"},
        topic="Open",
        timestamp=NOW,
        url="https://e/pm",
    )
    delivery = receive(provider, request, endpoint="/pm", now=NOW)
    assert isinstance(delivery, Delivery) and delivery.id_source == "body_hash"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing_signature"),
        (basic("hooks:wrong"), "bad_token"),
        ({"authorization": "Bearer " + CREDENTIALS}, "missing_signature"),
        ({"authorization": "Basic !!!"}, "bad_token"),
    ],
)
def test_rejections(headers: dict[str, str], reason: str) -> None:
    with pytest.raises(SignatureError) as caught:
        receive(Postmark(secret=CREDENTIALS), post(headers), endpoint="/pm", now=NOW)
    assert caught.value.reason == reason


def test_another_providers_token_is_refused() -> None:
    gitlab = GitLab(secret=CREDENTIALS).sign({}, topic="push", timestamp=NOW, url="https://e/pm")
    with pytest.raises(SignatureError):
        receive(Postmark(secret=CREDENTIALS), gitlab, endpoint="/pm", now=NOW)


def test_a_body_without_record_type_is_a_400() -> None:
    with pytest.raises(PayloadError) as caught:
        receive(Postmark(secret=CREDENTIALS), post(basic(CREDENTIALS), b'{"x":1}'), endpoint="/pm", now=NOW)
    assert caught.value.reason == "missing_topic"


def test_configuration() -> None:
    with pytest.raises(ConfigurationError, match="user:password"):
        Postmark(secret="no-colon")
    text = repr(Postmark(secret=CREDENTIALS))
    assert "horse" not in text and "basic_auth" in text
    assert PROVIDERS["postmark"] is Postmark


@pytest.mark.anyio
async def test_through_asgi() -> None:
    hooks = memory_receiver(NOW)
    hooks.endpoint("/pm", Postmark(secret=CREDENTIALS)).on("*")(lambda d: None)
    async with asgi_client(hooks, "https://example.com") as client:
        ok = await client.post("/pm", content=BODY, headers=post(basic(CREDENTIALS)).headers)
        again = await client.post("/pm", content=BODY, headers=post(basic(CREDENTIALS)).headers)
        bad = await client.post("/pm", content=BODY, headers=post(basic("a:b")).headers)
    assert ok.json()["status"] == "accepted" and again.json()["status"] == "duplicate"
    assert bad.status_code == 401
