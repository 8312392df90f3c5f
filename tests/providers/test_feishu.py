"""Feishu / Lark: the encrypted, signed vector (made with lark-oapi), challenge, plain mode, failures."""

from __future__ import annotations

import base64
import json
from functools import partial
from typing import Any

import pytest

from hookreceiver.core.delivery import Delivery, HttpRequest, Reply
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError, StaleTimestamp
from hookreceiver.providers import PROVIDERS, Feishu, Lark, Slack, receive
from hookreceiver.providers.feishu import decrypt, encrypt
from tests.helpers import asgi_client
from tests.providers.helpers import load_sample, memory_receiver, with_body

KEY = "lark_encrypt_key_test"
TOKEN = "v_token_test"
NOW = 1700000000.0
IV = bytes(range(16))
load = partial(load_sample, "feishu")
# PROVIDERS.md: the event lark-oapi 1.7.5 decrypts the vector's body to.
EVENT = (
    '{"schema":"2.0","header":{"event_id":"5e3702a84e847582be8db7fb73283c02","token":"v_token_test",'
    '"create_time":"1700000000000","event_type":"im.message.receive_v1","tenant_key":'
    '"2ca1d211f64f6438","app_id":"cli_9f5343c580712544"},"event":{"message":{"message_id":"om_1"}}}'
)
CHALLENGE = b'{"challenge":"ajls384kdjx98XX","token":"v_token_test","type":"url_verification"}'


def encrypted(plaintext: bytes, headers: dict[str, str] | None = None) -> HttpRequest:
    body = json.dumps({"encrypt": encrypt(plaintext, KEY.encode())}).encode()
    return HttpRequest(
        "POST", "https://e/lark", "/lark", {"content-type": "application/json", **(headers or {})}, "", body
    )


def test_the_vector_decrypts_to_the_sdks_plaintext_with_the_same_iv() -> None:
    request = load("encrypted_event")
    value = json.loads(request.body)["encrypt"]
    assert decrypt(value, KEY.encode()) == EVENT.encode()
    assert encrypt(EVENT.encode(), KEY.encode(), iv=IV) == value  # our encryption, byte for byte
    assert base64.b64decode(value)[:16] == IV


def test_the_vector_verifies_and_identifies() -> None:
    delivery = receive(
        Feishu(secret=["older", TOKEN], encrypt_key=KEY), load("encrypted_event"), endpoint="/l", now=NOW
    )
    assert isinstance(delivery, Delivery)
    assert (delivery.topic, delivery.delivery_id, delivery.secret_index) == (
        "im.message.receive_v1",
        "5e3702a84e847582be8db7fb73283c02",
        1,
    )
    assert delivery.sent_at == NOW and delivery.meta["app_id"] == "cli_9f5343c580712544"


def test_url_verification_encrypted_and_unsigned_as_feishu_sends_it() -> None:
    reply = receive(Feishu(secret=TOKEN, encrypt_key=KEY), encrypted(CHALLENGE), endpoint="/l", now=NOW)
    assert reply == Reply.json({"challenge": "ajls384kdjx98XX"})
    plain = HttpRequest("POST", "https://e/l", "/l", {"content-type": "application/json"}, "", CHALLENGE)
    assert receive(Feishu(secret=TOKEN), plain, endpoint="/l", now=NOW) == reply
    with pytest.raises(SignatureError) as caught:
        receive(Feishu(secret="other"), plain, endpoint="/l", now=NOW)
    assert caught.value.reason == "bad_token"


def test_sign_round_trips_in_both_modes() -> None:
    for provider in (Feishu(secret=TOKEN, encrypt_key=KEY), Lark(secret=TOKEN)):
        request = provider.sign(
            {"message": {"message_id": "om_2"}},
            topic="im.message.receive_v1",
            delivery_id="evt-2",
            timestamp=NOW,
            url="https://e/l",
        )
        delivery = receive(provider, request, endpoint="/l", now=NOW)
        assert isinstance(delivery, Delivery)
        assert (delivery.topic, delivery.delivery_id) == ("im.message.receive_v1", "evt-2")
        assert delivery.payload["event"]["message"]["message_id"] == "om_2"


def test_v1_events() -> None:
    body = json.dumps(
        {
            "uuid": "u-1",
            "token": TOKEN,
            "ts": "1700000000.1",
            "type": "event_callback",
            "event": {"type": "message", "app_id": "cli_1"},
        }
    ).encode()
    request = HttpRequest("POST", "https://e/l", "/l", {"content-type": "application/json"}, "", body)
    delivery = receive(Feishu(secret=TOKEN), request, endpoint="/l", now=NOW)
    assert isinstance(delivery, Delivery)
    assert (delivery.topic, delivery.delivery_id, delivery.meta["schema"]) == ("message", "u-1", "1.0")


def test_rejections_with_an_encrypt_key() -> None:
    request = load("encrypted_event")
    provider = Feishu(secret=TOKEN, encrypt_key=KEY)
    with pytest.raises(SignatureError, match="X-Lark-Signature"):  # tampered
        receive(provider, with_body(request, request.body.replace(b"AAEC", b"AAED")), endpoint="/l", now=NOW)
    with pytest.raises(SignatureError, match="X-Lark-Signature"):  # wrong encrypt key
        receive(Feishu(secret=TOKEN, encrypt_key="another key"), request, endpoint="/l", now=NOW)
    with pytest.raises(SignatureError, match="X-Lark-Signature"):  # the nonce is signed
        receive(provider, load("encrypted_event", x_lark_request_nonce="1"), endpoint="/l", now=NOW)
    with pytest.raises(SignatureError) as token:  # right key, wrong verification token
        receive(Feishu(secret="other", encrypt_key=KEY), request, endpoint="/l", now=NOW)
    assert token.value.reason == "bad_token"
    with pytest.raises(SignatureError) as unsigned:  # only the challenge may come unsigned
        receive(provider, load("encrypted_event", x_lark_signature=None), endpoint="/l", now=NOW)
    assert unsigned.value.reason == "missing_signature"
    for empty in ("", "  "):  # an empty header is no signature, as for other providers
        with pytest.raises(SignatureError) as blank:
            receive(provider, load("encrypted_event", x_lark_signature=empty), endpoint="/l", now=NOW)
        assert blank.value.reason == "missing_signature"
    with pytest.raises(SignatureError) as plain:  # a plain event: its signature cannot match
        receive(provider, with_body(request, EVENT.encode()), endpoint="/l", now=NOW)
    assert plain.value.reason == "bad_signature"
    plain_challenge = HttpRequest(
        "POST", "https://e/l", "/l", {"content-type": "application/json"}, "", CHALLENGE
    )
    with pytest.raises(SignatureError) as refused:
        receive(provider, plain_challenge, endpoint="/l", now=NOW)
    assert refused.value.reason == "plaintext_refused"
    with pytest.raises(StaleTimestamp):
        receive(Feishu(secret=TOKEN, encrypt_key=KEY, tolerance=300), request, endpoint="/l", now=NOW + 301)
    # Another provider's signature: Slack's headers mean nothing here.
    slack = Slack(secret=KEY).sign(
        {"type": "app_mention"}, topic="app_mention", timestamp=NOW, url="https://e/l"
    )
    with pytest.raises(SignatureError):
        receive(provider, slack, endpoint="/l", now=NOW)


def test_rejections_without_an_encrypt_key() -> None:
    provider = Feishu(secret=TOKEN)
    with pytest.raises(PayloadError) as caught:
        receive(provider, load("encrypted_event"), endpoint="/l", now=NOW)
    assert caught.value.reason == "encrypted_payload"
    signed = provider.sign({}, topic="im.message.receive_v1", timestamp=NOW, url="https://e/l")
    forged = with_body(signed, signed.body.replace(TOKEN.encode(), b"guessed"))
    with pytest.raises(SignatureError):
        receive(provider, forged, endpoint="/l", now=NOW)


def test_undecryptable_values() -> None:
    provider = Feishu(secret=TOKEN, encrypt_key=KEY)
    for value in ("!!", "AAAA", base64.b64encode(bytes(48)).decode()):
        request = HttpRequest(
            "POST",
            "https://e/l",
            "/l",
            {"content-type": "application/json"},
            "",
            json.dumps({"encrypt": value}).encode(),
        )
        with pytest.raises((SignatureError, PayloadError)):
            receive(provider, request, endpoint="/l", now=NOW)


def test_repr_and_name_table() -> None:
    text = repr(Feishu(secret=TOKEN, encrypt_key=KEY))
    assert TOKEN not in text and KEY not in text and "encrypted" in text
    assert PROVIDERS["feishu"] is Feishu and PROVIDERS["lark"] is Lark


@pytest.mark.anyio
async def test_through_asgi() -> None:
    hooks = memory_receiver(NOW)
    hooks.endpoint("/lark", Feishu(secret=TOKEN, encrypt_key=KEY)).on("*")(lambda d: None)
    request = load("encrypted_event")
    challenge = encrypted(CHALLENGE)
    async with asgi_client(hooks, "https://example.com") as client:
        answered = await client.post("/lark", content=challenge.body, headers=dict(challenge.headers))
        ok = await client.post("/lark", content=request.body, headers=dict(request.headers))
        forged = {**request.headers, "x-lark-signature": "0" * 64}
        bad = await client.post("/lark", content=request.body, headers=forged)
    assert answered.json() == {"challenge": "ajls384kdjx98XX"}
    assert ok.json()["status"] == "accepted" and bad.status_code == 401


@pytest.mark.parametrize("keys", [["key-one-0123456789", "key-two-0123456789"], ("only-one-0123456789",)])
def test_a_list_of_encrypt_keys_is_refused(keys: Any) -> None:
    """Only the first of a list was used before: a rotation that silently did not happen."""
    with pytest.raises(ConfigurationError, match="encrypt_key is one key"):
        Feishu(secret="verification-token-0123", encrypt_key=keys)
