"""WeChat Official Account: vectors, wechatpy both ways, safe mode, the success ack, ASGI."""

from __future__ import annotations

import time
from functools import partial
from urllib.parse import urlencode

import httpx
import pytest
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import WeChatSigner, check_signature

from hookreceiver import HookReceiver, Reply
from hookreceiver.core.decoding import decode_xml
from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.exceptions import (
    ConfigurationError,
    PayloadError,
    SignatureError,
    StaleTimestamp,
    UnsupportedContentType,
)
from hookreceiver.providers import PROVIDERS, WeChat, receive
from hookreceiver.providers import wechat_crypto as crypto
from hookreceiver.providers.wechat import sha1_signature, text_reply, to_xml
from tests.helpers import asgi_client
from tests.providers.helpers import load_sample, memory_receiver, with_body, with_query

TOKEN = "wechat_token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx0123456789abcdef"
NOW = 1700000000.0
DECRYPTED = (
    b"<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oUser123]]>"
    b"</FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    b"<Content><![CDATA[hello]]></Content><MsgId>23456789012345678</MsgId></xml>"
)


load = partial(load_sample, "wechat")


def plain() -> WeChat:
    return WeChat(secret=TOKEN)


def safe() -> WeChat:
    return WeChat(secret=TOKEN, aes_key=AES_KEY, app_id=APP_ID)


def deliver(provider: WeChat, request: HttpRequest) -> Delivery:
    delivery = receive(provider, request, endpoint="/wechat", now=NOW)
    assert isinstance(delivery, Delivery)
    return delivery


# -- known answers -------------------------------------------------------------------------


def test_get_verification_answers_echostr_verbatim() -> None:
    reply = receive(plain(), load("get_verification"), endpoint="/wechat", now=NOW)
    assert reply == Reply(b"6374298391722745391", content_type="text/plain; charset=utf-8")
    assert sha1_signature(TOKEN, "1700000000", "1514711492") == "5e76e563a684934364a491a9f033136f7658b0f9"


def test_plain_message() -> None:
    delivery = deliver(plain(), load("plain_text"))
    assert (delivery.topic, delivery.delivery_id, delivery.sent_at) == ("text", "23456789012345678", NOW)
    assert delivery.payload["Content"] == "hello"
    assert delivery.meta == {
        "openid": "oUser123",
        "to_user": "gh_0123456789ab",
        "from_user": "oUser123",
        "encryption": "none",
    }


def test_safe_mode_message_decrypts_to_the_vector() -> None:
    delivery = deliver(safe(), load("safe_text"))
    assert delivery.payload == decode_xml(DECRYPTED)
    assert delivery.meta["encryption"] == "aes" and delivery.delivery_id == "23456789012345678"


def test_safe_mode_encryption_reproduces_the_vector() -> None:
    key = crypto.aes_key(AES_KEY)
    assert key.hex() == "69b71d79f8218a39259a7a29aabb2dbafc31cb3d35db7e39ebbf3d0010831051"
    encrypt = crypto.encrypt(DECRYPTED, key=key, app_id=APP_ID, random16=b"0123456789abcdef")
    assert encrypt == decode_xml(load("safe_text").body)["Encrypt"]
    assert crypto.decrypt(encrypt, key=key) == (DECRYPTED, APP_ID)


def test_safe_mode_refuses_plain_messages() -> None:
    # The plain signature covers token, timestamp and nonce but no body bytes: a captured URL
    # would let anyone post any XML. With an aes_key, only encrypted messages are accepted.
    with pytest.raises(SignatureError) as info:
        receive(safe(), load("plain_text"), endpoint="/wechat", now=NOW)
    assert info.value.reason == "plaintext_refused"
    forged = with_body(load("plain_text"), load("plain_text").body.replace(b"hello", b"forged"))
    with pytest.raises(SignatureError):
        receive(safe(), forged, endpoint="/wechat", now=NOW)


def test_compatibility_mode_accepts_plain_messages_only_when_asked() -> None:
    provider = WeChat(secret=TOKEN, aes_key=AES_KEY, app_id=APP_ID, allow_plain=True)
    assert deliver(provider, load("plain_text")).meta["encryption"] == "none"
    assert deliver(provider, load("safe_text")).meta["encryption"] == "aes"
    assert "allow_plain=True" in repr(provider)


def test_safe_mode_get_verification_still_uses_the_plain_signature() -> None:
    assert receive(safe(), load("get_verification"), endpoint="/wechat", now=NOW) == Reply.text(
        "6374298391722745391"
    )


@pytest.mark.parametrize(
    "body",
    [b"garbage", b"<xml><Nope/></xml>", b"<xml><Encrypt></Encrypt></xml>", b"<xml><Encrypt>", b"\xff\xfe<<"],
)
def test_safe_mode_unreadable_body_with_a_wrong_signature_is_401(body: bytes) -> None:
    with pytest.raises(SignatureError) as info:
        receive(safe(), with_body(load("safe_text"), body), endpoint="/wechat", now=NOW)
    assert info.value.reason == "bad_signature"


def test_safe_mode_missing_signature_is_401_before_the_body_is_read() -> None:
    request = with_query(with_body(load("safe_text"), b"garbage"), {"msg_signature": None})
    with pytest.raises(SignatureError) as info:
        receive(safe(), request, endpoint="/wechat", now=NOW)
    assert info.value.reason == "missing_signature"


def test_safe_mode_signed_message_without_encrypt_is_400() -> None:
    # Only a sender holding the token can sign an empty Encrypt; its body is then its own fault.
    stamp, nonce = "1700000000", "99"
    request = with_query(
        with_body(load("safe_text"), b"<xml><ToUserName>x</ToUserName></xml>"),
        {"timestamp": stamp, "nonce": nonce, "msg_signature": sha1_signature(TOKEN, stamp, nonce, "")},
    )
    with pytest.raises(PayloadError) as info:
        receive(safe(), request, endpoint="/wechat", now=NOW)
    assert info.value.reason == "missing_encrypt"


# -- wechatpy as the reference -------------------------------------------------------------


def test_our_signature_passes_wechatpy() -> None:
    request = plain().sign(
        {"Content": "hi"}, topic="text", delivery_id="1", timestamp=NOW, url="https://e.example/wechat"
    )
    q = request.query
    reference = WeChatSigner()
    reference.add_data(TOKEN, q["timestamp"], q["nonce"])
    assert q["signature"] == reference.signature
    check_signature(TOKEN, q["signature"], q["timestamp"], q["nonce"])  # raises if wrong
    with pytest.raises(InvalidSignatureException):  # and it does check: another token fails
        check_signature("other-token", q["signature"], q["timestamp"], q["nonce"])


def test_wechatpy_signature_passes_ours() -> None:
    signer = WeChatSigner()
    signer.add_data(TOKEN, "1700000123", "42")
    query = urlencode(
        {"signature": signer.signature, "timestamp": "1700000123", "nonce": "42", "echostr": "abc"}
    )
    request = HttpRequest("GET", f"https://e.example/wechat?{query}", "/wechat", {}, query)
    assert receive(plain(), request, endpoint="/wechat", now=NOW) == Reply.text("abc")


def test_wechatpy_encrypts_we_decrypt() -> None:
    envelope = WeChatCrypto(TOKEN, AES_KEY, APP_ID).encrypt_message(DECRYPTED.decode(), "777", 1700000000)
    fields = decode_xml(envelope.encode())
    query = urlencode(
        {
            "timestamp": fields["TimeStamp"],
            "nonce": fields["Nonce"],
            "encrypt_type": "aes",
            "msg_signature": fields["MsgSignature"],
        }
    )
    body = to_xml({"ToUserName": "gh_0123456789ab", "Encrypt": fields["Encrypt"]}).encode()
    request = HttpRequest(
        "POST", f"https://e.example/wechat?{query}", "/wechat", {"content-type": "text/xml"}, query, body
    )
    assert deliver(safe(), request).payload == decode_xml(DECRYPTED)


def test_we_encrypt_wechatpy_decrypts() -> None:
    request = safe().sign(
        {"Content": "你好 ]]> <b>"},
        topic="text",
        delivery_id="5",
        timestamp=NOW,
        url="https://e.example/wechat",
    )
    q = request.query
    plain_xml = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(
        request.body.decode(), q["msg_signature"], q["timestamp"], q["nonce"]
    )
    fields = decode_xml(plain_xml.encode())
    assert (fields["Content"], fields["MsgType"], fields["MsgId"]) == ("你好 ]]> <b>", "text", "5")


def test_our_encrypted_passive_reply_decrypts_with_wechatpy() -> None:
    provider = safe()
    delivery = deliver(provider, load("safe_text"))
    reply = provider.ack(delivery, text_reply(delivery, "echo: hello"))
    assert reply.content_type.startswith("text/xml")
    envelope = decode_xml(reply.body)
    assert set(envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    inner = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(
        reply.body.decode(), envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
    )
    assert decode_xml(inner.encode()) == {
        "ToUserName": "oUser123",
        "FromUserName": "gh_0123456789ab",
        "CreateTime": "1700000000",
        "MsgType": "text",
        "Content": "echo: hello",
    }


# -- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "query", "reason"),
    [
        ("get_verification", {"signature": "0" * 40}, "bad_signature"),
        ("get_verification", {"signature": None}, "missing_signature"),
        ("get_verification", {"timestamp": "1700000001"}, "bad_signature"),
        ("get_verification", {"timestamp": None}, "missing_timestamp"),
        ("get_verification", {"nonce": None}, "missing_nonce"),
        ("plain_text", {"nonce": "1514711493"}, "bad_signature"),
        ("safe_text", {"msg_signature": "0" * 40}, "bad_signature"),
        ("safe_text", {"msg_signature": None}, "missing_signature"),
    ],
)
def test_bad_signatures(name: str, query: dict[str, str | None], reason: str) -> None:
    provider = plain() if name == "plain_text" else safe()  # safe mode refuses plain messages
    with pytest.raises(SignatureError) as info:
        receive(provider, with_query(load(name), query), endpoint="/wechat", now=NOW)
    assert info.value.reason == reason


def test_wrong_token_and_rotation() -> None:
    with pytest.raises(SignatureError):
        WeChat(secret="other").verify(load("plain_text"), now=NOW)
    assert WeChat(secret=["other", TOKEN]).verify(load("plain_text"), now=NOW) == 1
    assert (
        WeChat(secret=["other", TOKEN], aes_key=AES_KEY, app_id=APP_ID).verify(load("safe_text"), now=NOW)
        == 1
    )


def test_safe_mode_tampered_encrypt_fails_the_signature() -> None:
    body = load("safe_text").body.replace(b"Q3st", b"Q3su")
    with pytest.raises(SignatureError):
        safe().verify(with_body(load("safe_text"), body), now=NOW)


def test_safe_mode_other_app_id_and_other_key() -> None:
    with pytest.raises(SignatureError) as info:
        receive(
            WeChat(secret=TOKEN, aes_key=AES_KEY, app_id="wxOTHER"), load("safe_text"), endpoint="/w", now=NOW
        )
    assert info.value.reason == "bad_app_id"
    other_key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg"
    with pytest.raises((PayloadError, SignatureError)):
        receive(
            WeChat(secret=TOKEN, aes_key=other_key, app_id=APP_ID), load("safe_text"), endpoint="/w", now=NOW
        )


def test_safe_mode_without_a_key_is_a_clear_400() -> None:
    with pytest.raises(PayloadError) as info:
        receive(plain(), load("safe_text"), endpoint="/w", now=NOW)
    assert info.value.reason == "encrypted_payload"


@pytest.mark.parametrize("ciphertext", ["not base64!", "QUJD", "A" * 24, ""])
def test_decrypt_rejects_garbage_with_payload_errors(ciphertext: str) -> None:
    with pytest.raises(PayloadError):
        crypto.decrypt(ciphertext, key=crypto.aes_key(AES_KEY))


def test_get_without_echostr_and_wrong_content_type() -> None:
    with pytest.raises(PayloadError) as info:
        receive(plain(), with_query(load("get_verification"), {"echostr": None}), endpoint="/w", now=NOW)
    assert info.value.reason == "missing_echostr"
    with pytest.raises(UnsupportedContentType):
        receive(plain(), load("plain_text", content_type="application/json"), endpoint="/w", now=NOW)


def test_timestamp_window() -> None:
    # 300 s by default (issue 13: a URL copied from a log stayed valid for ever); 0 turns it off
    assert WeChat(secret=TOKEN).verify(load("plain_text"), now=NOW + 300) == 0
    with pytest.raises(StaleTimestamp):
        WeChat(secret=TOKEN).verify(load("plain_text"), now=NOW + 301)
    assert WeChat(secret=TOKEN, tolerance=0).verify(load("plain_text"), now=NOW + 10**6) == 0
    assert WeChat(secret=TOKEN, tolerance=0).verify(load("plain_text"), now=NOW - 10**6) == 0
    assert WeChat(secret=TOKEN, tolerance=60).verify(load("plain_text"), now=NOW - 60) == 0
    with pytest.raises(StaleTimestamp) as info:
        WeChat(secret=TOKEN, tolerance=60).verify(load("plain_text"), now=NOW + 61)
    assert info.value.skew == pytest.approx(61)


def test_optional_timestamp_window_refuses_future_timestamps() -> None:
    # The sample is signed at NOW: a receiver clock 61 s behind sees it 61 s in the future.
    with pytest.raises(StaleTimestamp) as info:
        WeChat(secret=TOKEN, tolerance=60).verify(load("plain_text"), now=NOW - 61)
    assert info.value.reason == "stale_timestamp" and abs(info.value.skew) == pytest.approx(61)
    with pytest.raises(StaleTimestamp):
        safe_with_window = WeChat(secret=TOKEN, aes_key=AES_KEY, app_id=APP_ID, tolerance=60)
        safe_with_window.verify(load("safe_text"), now=NOW - 61)


def test_configuration_errors_and_repr() -> None:
    with pytest.raises(ConfigurationError):
        WeChat(secret=TOKEN, aes_key=AES_KEY)
    with pytest.raises(ConfigurationError):
        WeChat(secret=TOKEN, allow_plain=True)
    with pytest.raises(ConfigurationError) as info:
        WeChat(secret=TOKEN, aes_key="short-secret-key", app_id=APP_ID)
    assert "short-secret" not in str(info.value)
    assert TOKEN not in repr(safe()) and AES_KEY not in repr(safe())


# -- topics, ids, replies ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "fields", "topics", "delivery_id"),
    [
        ("text", {}, ("text",), "m-1"),
        ("image", {"PicUrl": "http://x/p.png"}, ("image",), "m-1"),
        ("event.subscribe", {"EventKey": ""}, ("event.subscribe", "event"), "oUser123:1700000000:subscribe"),
        ("event.SCAN", {"EventKey": "42"}, ("event.scan", "event"), "oUser123:1700000000:SCAN"),
        ("event.CLICK", {"EventKey": "menu"}, ("event.click", "event"), "oUser123:1700000000:CLICK"),
    ],
)
def test_topics_and_ids(
    topic: str, fields: dict[str, str], topics: tuple[str, ...], delivery_id: str
) -> None:
    for provider in (plain(), safe()):
        request = provider.sign(
            fields, topic=topic, delivery_id="m-1", timestamp=NOW, url="https://e.example/wechat"
        )
        delivery = deliver(provider, request)
        assert (delivery.topics, delivery.delivery_id) == (topics, delivery_id)


def test_ack_is_success_unless_a_reply_is_given() -> None:
    delivery = deliver(plain(), load("plain_text"))
    assert plain().ack(delivery, None) == Reply(b"success", content_type="text/plain; charset=utf-8")
    passive = text_reply(delivery, "hi")
    assert plain().ack(delivery, passive) is passive  # plain mode: sent as is


def test_to_xml_survives_cdata_terminators() -> None:
    text = "a]]>b <c> & ]]]]>"
    assert decode_xml(to_xml({"Content": text, "N": 3}).encode()) == {"Content": text, "N": "3"}


# -- through the ASGI app ------------------------------------------------------------------


def make_app(provider: WeChat, *, echo: bool = False) -> HookReceiver:
    hooks = memory_receiver(NOW)
    endpoint = hooks.endpoint("/wechat", provider)
    endpoint.on("*")(lambda d: None)
    if echo:

        @endpoint.respond
        def reply(delivery: Delivery) -> Reply:
            return text_reply(delivery, "echo: " + str(delivery.payload.get("Content")))

    return hooks


async def call(hooks: HookReceiver, request: HttpRequest) -> httpx.Response:
    async with asgi_client(hooks, "https://example.com") as client:
        return await client.request(
            request.method,
            f"{request.path}?{request.query_string}",
            content=request.body or None,
            headers=dict(request.headers),
        )


@pytest.mark.anyio
async def test_asgi_echostr_and_bad_signature() -> None:
    hooks = make_app(plain())
    ok = await call(hooks, load("get_verification"))
    assert (ok.status_code, ok.text) == (200, "6374298391722745391")
    assert ok.headers["content-type"].startswith("text/plain")
    bad = await call(hooks, with_query(load("get_verification"), {"signature": "f" * 40}))
    assert bad.status_code == 401 and bad.json()["error"] == "bad_signature"


@pytest.mark.anyio
async def test_asgi_default_ack_is_literal_success_even_for_duplicates() -> None:
    hooks = make_app(plain())
    for _ in range(2):
        response = await call(hooks, load("plain_text"))
        assert (response.status_code, response.content) == (200, b"success")
        assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.anyio
async def test_asgi_passive_reply_plain_and_encrypted() -> None:
    response = await call(make_app(plain(), echo=True), load("plain_text"))
    assert decode_xml(response.content)["Content"] == "echo: hello"
    response = await call(make_app(safe(), echo=True), load("safe_text"))
    envelope = decode_xml(response.content)
    inner = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(
        response.text, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
    )
    assert decode_xml(inner.encode())["Content"] == "echo: hello"


@pytest.mark.anyio
async def test_example_wechat_echo_replies() -> None:
    from examples import wechat_echo

    provider = WeChat(secret=wechat_echo.token)
    request = provider.sign(
        {"Content": "ping"},
        topic="text",
        delivery_id="77",
        timestamp=time.time(),
        url="http://internal/wechat",
    )
    try:
        response = await call(wechat_echo.hooks, request)
    finally:
        await wechat_echo.hooks.stop()
    assert response.status_code == 200
    reply = decode_xml(response.content)
    assert (reply["Content"], reply["ToUserName"], reply["MsgType"]) == ("ping", "oUser123", "text")


def test_registered_by_name() -> None:
    assert PROVIDERS["wechat"] is WeChat
