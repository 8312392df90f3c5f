"""Discord interactions: the Ed25519 vector, discord-interactions both ways, PING, acks, failures."""

from __future__ import annotations

import json
from functools import partial

import pytest
from discord_interactions import verify_key
from hypothesis import given, settings
from hypothesis import strategies as st

from hookreceiver.core.delivery import Delivery, HttpRequest, Reply
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError, StaleTimestamp
from hookreceiver.providers import PROVIDERS, Discord, SendGrid, receive
from hookreceiver.testing.keys import key_pair
from tests.helpers import asgi_client
from tests.providers.helpers import load_sample, memory_receiver, with_body

# PROVIDERS.md's vector: Ed25519 seed 00 01 .. 1f, and its public key.
PUBLIC = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
NOW = 1700000000.0
PAIR = key_pair("discord", "test")
load = partial(load_sample, "discord")


def test_the_ping_vector_gets_a_pong() -> None:
    reply = receive(Discord(secret=PUBLIC), load("ping"), endpoint="/d", now=NOW)
    assert reply == Reply.json({"type": 1})


def test_the_vector_verifies_with_the_sdk() -> None:
    request = load("ping")
    assert verify_key(
        request.body, request.headers["x-signature-ed25519"], request.headers["x-signature-timestamp"], PUBLIC
    )


def test_our_signature_verifies_with_the_sdk_and_the_public_key() -> None:
    signer = Discord(secret=PAIR.private)
    request = signer.sign(
        {"data": {"name": "deploy"}},
        topic="application_command",
        delivery_id="42",
        timestamp=NOW,
        url="https://e/d",
    )
    assert verify_key(
        request.body,
        request.headers["x-signature-ed25519"],
        request.headers["x-signature-timestamp"],
        PAIR.public,
    )
    delivery = receive(Discord(secret=["00" * 32, PAIR.public]), request, endpoint="/d", now=NOW)
    assert isinstance(delivery, Delivery)
    assert delivery.topics == ("application_command.deploy", "application_command")
    assert (delivery.delivery_id, delivery.secret_index, delivery.sent_at) == ("42", 1, NOW)


@pytest.mark.parametrize(
    ("topic", "kind", "deferred"),
    [
        ("application_command.deploy", 2, {"type": 5}),
        ("message_component.approve", 3, {"type": 6}),
        ("autocomplete.search", 4, {"type": 8, "data": {"choices": []}}),
        ("modal_submit.feedback", 5, {"type": 5}),
    ],
)
def test_kinds_topics_and_deferred_acks(topic: str, kind: int, deferred: object) -> None:
    provider = Discord(secret=PAIR.private)
    request = provider.sign({}, topic=topic, timestamp=NOW, url="https://e/d")
    delivery = receive(provider, request, endpoint="/d", now=NOW)
    assert isinstance(delivery, Delivery)
    assert delivery.topic == topic and delivery.payload["type"] == kind
    assert provider.ack(delivery, None) == Reply.json(deferred)
    answer = Reply.json({"type": 4, "data": {"content": "done"}})
    assert provider.ack(delivery, answer) is answer


def test_a_signed_ping_gets_a_pong() -> None:
    request = Discord(secret=PAIR.private).sign({}, topic="ping", timestamp=NOW, url="https://e/d")
    assert json.loads(request.body)["type"] == 1
    assert receive(Discord(secret=PAIR.public), request, endpoint="/d", now=NOW) == Reply.json({"type": 1})


def test_rejections() -> None:
    request = load("ping")
    provider = Discord(secret=PUBLIC)
    with pytest.raises(SignatureError, match="does not verify"):  # tampered
        receive(provider, with_body(request, request.body + b" "), endpoint="/d", now=NOW)
    with pytest.raises(SignatureError, match="does not verify"):  # wrong key
        receive(Discord(secret=PAIR.public), request, endpoint="/d", now=NOW)
    with pytest.raises(SignatureError, match="does not verify"):  # the timestamp is signed too
        receive(provider, load("ping", x_signature_timestamp="1700000001"), endpoint="/d", now=NOW)
    with pytest.raises(StaleTimestamp):
        receive(provider, request, endpoint="/d", now=NOW + 301)
    assert isinstance(
        receive(Discord(secret=PUBLIC, tolerance=0), request, endpoint="/d", now=NOW + 10**6), Reply
    )
    for header, reason in (
        ("x_signature_ed25519", "missing_signature"),
        ("x_signature_timestamp", "missing_timestamp"),
    ):
        with pytest.raises(SignatureError) as caught:
            receive(provider, load("ping", **{header: None}), endpoint="/d", now=NOW)
        assert caught.value.reason == reason
    with pytest.raises(SignatureError, match="not valid hex"):
        receive(provider, load("ping", x_signature_ed25519="zz"), endpoint="/d", now=NOW)
    # Another provider's signature: SendGrid's ECDSA headers are not Discord's.
    sendgrid = SendGrid(secret=key_pair("sendgrid", "x").private).sign(
        {"event": "open"}, topic="open", timestamp=NOW, url="https://e/d"
    )
    with pytest.raises(SignatureError):
        receive(provider, sendgrid, endpoint="/d", now=NOW)


def test_unknown_interaction_types_are_400s() -> None:
    signer = Discord(secret=PAIR.private)
    body = b'{"type":99,"id":"1"}'
    signature = signer._keys.values[0].sign(b"1700000000" + body).hex()
    request = HttpRequest(
        "POST",
        "https://e/d",
        "/d",
        {
            "content-type": "application/json",
            "x-signature-ed25519": signature,
            "x-signature-timestamp": "1700000000",
        },
        "",
        body,
    )
    with pytest.raises(PayloadError) as caught:
        receive(signer, request, endpoint="/d", now=NOW)
    assert caught.value.reason == "missing_topic"


@pytest.mark.parametrize("bad", ["abc", "00" * 31, "-----BEGIN PRIVATE KEY-----\nnope\n"])
def test_bad_keys_are_configuration_errors(bad: str) -> None:
    with pytest.raises(ConfigurationError):
        Discord(secret=bad)


def test_a_public_key_cannot_sign_and_nothing_shows_a_key() -> None:
    with pytest.raises(ConfigurationError, match="private key"):
        Discord(secret=PUBLIC).sign({}, topic="ping", timestamp=NOW, url="https://e/d")
    text = repr(Discord(secret=[PAIR.private, PUBLIC]))
    assert "2 hidden" in text and PUBLIC not in text and "PRIVATE" not in text
    assert PROVIDERS["discord"] is Discord


@settings(max_examples=25, deadline=None)
@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_any_flipped_byte_fails(position: int, flip: int) -> None:
    request = load("ping")
    body = bytearray(request.body)
    body[position % len(body)] ^= flip
    with pytest.raises(SignatureError):
        receive(Discord(secret=PUBLIC), with_body(request, bytes(body)), endpoint="/d", now=NOW)


@pytest.mark.anyio
async def test_through_asgi_probe_401_ping_pong_and_a_deferred_ack() -> None:
    hooks = memory_receiver(NOW)
    hooks.endpoint("/d", Discord(secret=PAIR.public)).on("*")(lambda d: None)
    signer = Discord(secret=PAIR.private)
    command = signer.sign({}, topic="application_command.deploy", timestamp=NOW, url="https://e/d")
    ping = signer.sign({}, topic="ping", timestamp=NOW, url="https://e/d")
    async with asgi_client(hooks, "https://e") as client:
        probe = await client.post("/d", content=ping.body + b" ", headers=dict(ping.headers))
        pong = await client.post("/d", content=ping.body, headers=dict(ping.headers))
        acked = await client.post("/d", content=command.body, headers=dict(command.headers))
    assert probe.status_code == 401
    assert (pong.status_code, pong.json()) == (200, {"type": 1})
    assert (acked.status_code, acked.json()) == (200, {"type": 5})
