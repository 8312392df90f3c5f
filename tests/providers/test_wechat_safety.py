"""WeChat: what is read before the signature is checked, and odd values after it."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.exceptions import DeliveryError, PayloadError, PayloadTooLarge, SignatureError
from hookreceiver.providers import WeChat, receive
from hookreceiver.providers.wechat import MAX_ENCRYPTED_BODY, sha1_signature
from tests.providers.helpers import load_sample, with_body, with_query

TOKEN = "wechat_token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx0123456789abcdef"
NOW = 1700000000.0
URL = "https://example.com/wechat"
TAGS = b"<xml>" + b"<a>1</a>" * 100_000 + b"</xml>"  # 800 KB of repeated tags

load = partial(load_sample, "wechat")


def safe() -> WeChat:
    return WeChat(secret=TOKEN, aes_key=AES_KEY, app_id=APP_ID)


def signed_for(request: HttpRequest, encrypt: str) -> HttpRequest:
    """``request`` with a msg_signature that is right for ``encrypt``."""
    stamp, nonce = request.query["timestamp"], request.query["nonce"]
    return with_query(request, {"msg_signature": sha1_signature(TOKEN, stamp, nonce, encrypt)})


@pytest.mark.parametrize("body", [TAGS, b"garbage", load("safe_text").body])
def test_safe_mode_without_an_aes_key_is_refused_before_the_body_is_read(body: bytes) -> None:
    # Used to parse the whole body for Encrypt, then check msg_signature: pre-auth CPU for free.
    request = with_query(with_body(load("safe_text"), body), {"msg_signature": "00"})
    with pytest.raises(PayloadError) as info:
        WeChat(secret=TOKEN).verify(request, now=NOW)
    assert (info.value.reason, info.value.status_hint) == ("encrypted_payload", 400)


def test_a_large_safe_mode_body_is_refused_unread() -> None:
    genuine = load("safe_text")
    encrypt = safe().decode(genuine)  # the real message still decrypts
    assert isinstance(encrypt, dict) and encrypt["MsgType"] == "text"
    padded = genuine.body.replace(b"</xml>", b"<Pad>" + b"x" * MAX_ENCRYPTED_BODY + b"</Pad></xml>")
    # Over the cap the body is not read at all: it is checked as an empty Encrypt (401), and a
    # sender holding the token that signed that gets 413.
    with pytest.raises(SignatureError):
        receive(safe(), with_body(genuine, padded), endpoint="/wechat", now=NOW)
    with pytest.raises(PayloadTooLarge):
        receive(safe(), signed_for(with_body(genuine, padded), ""), endpoint="/wechat", now=NOW)
    with pytest.raises(SignatureError):  # unsigned: still a 401 first
        receive(
            safe(), with_query(with_body(genuine, TAGS), {"msg_signature": "00"}), endpoint="/wechat", now=NOW
        )


@pytest.mark.parametrize(
    "body",
    [
        b"<xml><Encrypt>QUJD</Encrypt><Encrypt>REVG</Encrypt></xml>",  # which one? neither
        b"<xml><Encrypt>not base64!</Encrypt></xml>",
        b"<xml><Encrypt><![CDATA[]]></Encrypt></xml>",
    ],
)
def test_an_ambiguous_or_odd_encrypt_is_missing(body: bytes) -> None:
    request = signed_for(with_body(load("safe_text"), body), "")
    with pytest.raises(PayloadError) as info:
        receive(safe(), request, endpoint="/wechat", now=NOW)
    assert info.value.reason == "missing_encrypt"


def test_bare_and_cdata_encrypt_are_read_alike() -> None:
    genuine = load("safe_text")
    delivery = receive(safe(), genuine, endpoint="/wechat", now=NOW)
    assert isinstance(delivery, Delivery)
    encrypt = genuine.body.split(b"<Encrypt><![CDATA[")[1].split(b"]]>")[0]
    bare = with_body(genuine, b"<xml><Encrypt>\n" + encrypt + b"\n</Encrypt></xml>")
    again = receive(safe(), bare, endpoint="/wechat", now=NOW)
    assert isinstance(again, Delivery) and again.payload == delivery.payload


def test_an_out_of_range_timestamp_is_a_401() -> None:
    request = with_query(load("plain_text"), {"timestamp": "9" * 400})
    with pytest.raises(SignatureError) as info:
        WeChat(secret=TOKEN).verify(request, now=NOW)
    assert info.value.reason == "bad_timestamp"


@pytest.mark.parametrize(
    ("created", "sent_at"), [("\u00b2", None), ("\u0663", None), ("9" * 400, None), ("1700000000", 1.7e9)]
)
def test_create_time_is_read_only_as_plain_digits(created: str, sent_at: float | None) -> None:
    provider = WeChat(secret=TOKEN)
    request = provider.sign(
        {"FromUserName": "u", "CreateTime": created}, topic="event.click", timestamp=NOW, url=URL
    )
    delivery = receive(provider, request, endpoint="/wechat", now=NOW)
    assert isinstance(delivery, Delivery) and delivery.sent_at == sent_at


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.sampled_from(["\u00b2", "\u0663", "9" * 400, "1e999", "-1"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.from_regex(r"[A-Za-z]{1,6}", fullmatch=True), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=150)
@given(value=JSON, safe_mode=st.booleans(), topic=st.sampled_from(["text", "event.click"]))
@example(value="\u00b2", safe_mode=False, topic="text")
@example(value="9" * 400, safe_mode=True, topic="event.click")
@example(value={"a": ["\u0663"]}, safe_mode=False, topic="event.click")
def test_any_json_value_in_signed_fields_is_only_ever_a_delivery_error(
    value: Any, safe_mode: bool, topic: str
) -> None:
    provider = safe() if safe_mode else WeChat(secret=TOKEN)
    for field in ("CreateTime", "MsgId", "FromUserName", "Event"):
        try:
            request = provider.sign({field: value}, topic=topic, delivery_id="1", timestamp=NOW, url=URL)
        except (ValueError, UnicodeEncodeError):  # text XML cannot carry (NUL, surrogates)
            continue
        try:  # anything but a DeliveryError fails the test
            receive(provider, request, endpoint="/wechat", now=NOW)
        except DeliveryError:
            pass
