"""Telegram: the secret_token header, update kinds as topics, update_id as the delivery id."""

from __future__ import annotations

import json

import pytest

from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError
from hookreceiver.providers import PROVIDERS, GitLab, Telegram, receive
from hookreceiver.testing import build_request
from tests.helpers import asgi_client
from tests.providers.helpers import memory_receiver, with_body

TOKEN = "tg_Secret-token_0123"
NOW = 1700000000.0
HEADER = "x-telegram-bot-api-secret-token"
# An update as the Bot API documents it, sent with the setWebhook secret_token.
BODY = (
    b'{"update_id":10000,"message":{"date":1441645532,"chat":{"last_name":"Test Lastname",'
    b'"id":1111111,"type":"private","first_name":"Test Firstname","username":"Testusername"},'
    b'"message_id":1365,"from":{"last_name":"Test Lastname","id":1111111,"first_name":'
    b'"Test Firstname","username":"Testusername"},"text":"/start"}}'
)


def update(token: str | None = TOKEN, body: bytes = BODY) -> HttpRequest:
    headers = {"content-type": "application/json"} | ({HEADER: token} if token is not None else {})
    return HttpRequest("POST", "https://example.com/tg", "/tg", headers, "", body)


def test_a_documented_update_is_accepted() -> None:
    delivery = receive(Telegram(secret=["old_token", TOKEN]), update(), endpoint="/tg", now=NOW)
    assert isinstance(delivery, Delivery)
    assert (delivery.topic, delivery.delivery_id, delivery.secret_index) == ("message", "10000", 1)
    assert delivery.sent_at == 1441645532.0
    assert delivery.meta == {"chat_id": "1111111", "from_id": "1111111", "chat_type": "private"}
    assert HEADER not in delivery.headers  # the token itself is never stored


@pytest.mark.parametrize("topic", ["message", "callback_query"])
def test_samples_round_trip(topic: str) -> None:
    request = build_request("telegram", secret=TOKEN, topic=topic, timestamp=NOW)
    delivery = receive(Telegram(secret=TOKEN), request, endpoint="/tg", now=NOW)
    assert isinstance(delivery, Delivery) and delivery.topic == topic
    assert delivery.delivery_id == str(json.loads(request.body)["update_id"])


def test_sign_takes_the_inner_object_and_a_numeric_id() -> None:
    request = Telegram(secret=TOKEN).sign(
        {"text": "hi", "chat": {"id": 5}},
        topic="message",
        delivery_id="77",
        timestamp=NOW,
        url="https://e/tg",
    )
    assert json.loads(request.body) == {"update_id": 77, "message": {"text": "hi", "chat": {"id": 5}}}


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (None, "missing_signature"),
        ("", "missing_signature"),
        ("other_token", "bad_token"),
        (TOKEN + "x", "bad_token"),
    ],
)
def test_wrong_or_missing_tokens(token: str | None, reason: str) -> None:
    with pytest.raises(SignatureError) as caught:
        receive(Telegram(secret=TOKEN), update(token), endpoint="/tg", now=NOW)
    assert caught.value.reason == reason


def test_another_providers_token_header_is_refused() -> None:
    gitlab = GitLab(secret=TOKEN).sign({}, topic="push", timestamp=NOW, url="https://e/tg")
    with pytest.raises(SignatureError):
        receive(Telegram(secret=TOKEN), gitlab, endpoint="/tg", now=NOW)


def test_the_body_is_not_covered_so_dedupe_is_on_update_id() -> None:
    """A token scheme: a changed body passes (documented), keeping its update_id dedupes a resend."""
    changed = with_body(update(), BODY.replace(b"/start", b"/stop"))
    delivery = receive(Telegram(secret=TOKEN), changed, endpoint="/tg", now=NOW)
    assert isinstance(delivery, Delivery) and delivery.delivery_id == "10000"


@pytest.mark.parametrize(
    "body", [b'{"message":{}}', b'{"update_id":"1","message":{}}', b'{"update_id":1}', b"[1]"]
)
def test_malformed_updates_are_400s(body: bytes) -> None:
    with pytest.raises(PayloadError):
        receive(Telegram(secret=TOKEN), update(body=body), endpoint="/tg", now=NOW)


@pytest.mark.parametrize("bad", ["has space", "ü", "x" * 257])
def test_tokens_telegram_would_refuse_are_configuration_errors(bad: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Telegram(secret=bad)
    assert bad not in str(caught.value)


def test_repr_and_name_table() -> None:
    assert TOKEN not in repr(Telegram(secret=TOKEN)) and PROVIDERS["telegram"] is Telegram


@pytest.mark.anyio
async def test_through_asgi() -> None:
    hooks = memory_receiver(NOW)
    hooks.endpoint("/tg", Telegram(secret=TOKEN)).on("message")(lambda d: None)
    async with asgi_client(hooks, "https://example.com") as client:
        first = await client.post("/tg", content=BODY, headers=dict(update().headers))
        again = await client.post("/tg", content=BODY, headers=dict(update().headers))
        wrong = await client.post("/tg", content=BODY, headers=dict(update("nope").headers))
    assert first.json()["status"] == "accepted" and again.json()["status"] == "duplicate"
    assert wrong.status_code == 401
