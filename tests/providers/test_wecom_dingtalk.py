"""WeCom and DingTalk: the encrypted-echostr vector, encrypted messages, the answers they need."""

from __future__ import annotations

import json
import re

import pytest

from hookreceiver.core.delivery import Delivery, HttpRequest, Reply
from hookreceiver.exceptions import PayloadError, SignatureError, StaleTimestamp
from hookreceiver.providers import DingTalk, WeChat, WeCom, receive, wechat_crypto
from hookreceiver.providers.wechat import sha1_signature
from tests.helpers import asgi_client
from tests.providers.helpers import memory_receiver, with_body, with_query

TOKEN = "wechat_token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
CORP = "wx0123456789abcdef"
NOW = 1700000000.0
# PROVIDERS.md, "wecom_style_encrypted_echostr" (made with wechatpy 1.8.18).
ECHOSTR = "Q3stYC6hdFzMh9T8HCvyDKiMSl80csQOcPh+hopewwcLFy424vaO1Xrl1M7WOVlE9umeSbE8tpqmWrSo6gyg6Q=="
QUERY = (
    f"msg_signature=df4700f2c71bb4faf06ba0accac0223d8ed8a46e&timestamp=1700000000&nonce=1514711492"
    f"&echostr={ECHOSTR.replace('+', '%2B').replace('=', '%3D')}"
)
wecom = WeCom(secret=["newer", TOKEN], aes_key=AES_KEY, corp_id=CORP)


def url_check(query: str = QUERY) -> HttpRequest:
    return HttpRequest("GET", f"https://e/wecom?{query}", "/wecom", {}, query, b"")


# -- WeCom ---------------------------------------------------------------------------------


def test_the_encrypted_echostr_vector_is_answered_decrypted() -> None:
    reply = receive(wecom, url_check(), endpoint="/w", now=NOW)
    assert reply == Reply.text("6374298391722745391")
    assert isinstance(reply, Reply) and reply.secret_index == 1


def test_url_check_rejections() -> None:
    with pytest.raises(SignatureError):  # wrong token
        receive(WeCom(secret="other", aes_key=AES_KEY, corp_id=CORP), url_check(), endpoint="/w", now=NOW)
    with pytest.raises(SignatureError):  # the echostr is signed
        receive(wecom, with_query(url_check(), {"echostr": ECHOSTR[:-4] + "AA=="}), endpoint="/w", now=NOW)
    with pytest.raises(SignatureError) as other_corp:  # right signature, another CorpID inside
        receive(WeCom(secret=TOKEN, aes_key=AES_KEY, corp_id="ww_other"), url_check(), endpoint="/w", now=NOW)
    assert other_corp.value.reason == "bad_receive_id"
    with pytest.raises(SignatureError) as plain:  # WeChat's plain GET check is not enough here
        receive(
            wecom,
            with_query(
                url_check(), {"msg_signature": None, "signature": "5e76e563a684934364a491a9f033136f7658b0f9"}
            ),
            endpoint="/w",
            now=NOW,
        )
    assert plain.value.reason == "missing_signature"
    with pytest.raises(StaleTimestamp):
        receive(
            WeCom(secret=TOKEN, aes_key=AES_KEY, corp_id=CORP, tolerance=300),
            url_check(),
            endpoint="/w",
            now=NOW + 301,
        )


def test_the_kits_url_check_round_trips() -> None:
    request = wecom.url_check(echostr="123", timestamp=NOW, url="https://e/wecom")
    assert receive(wecom, request, endpoint="/w", now=NOW) == Reply.text("123")


@pytest.mark.parametrize(
    ("topic", "topics"), [("text", ("text",)), ("event.enter_agent", ("event.enter_agent", "event"))]
)
def test_messages_round_trip(topic: str, topics: tuple[str, ...]) -> None:
    request = wecom.sign(
        {"Content": "hi"},
        topic=topic,
        delivery_id="1001",
        timestamp=NOW,
        url="https://e/wecom",
        secret_index=1,
    )
    delivery = receive(wecom, request, endpoint="/w", now=NOW)
    assert isinstance(delivery, Delivery)
    assert delivery.topics == topics and delivery.secret_index == 1
    assert delivery.meta["agent_id"] == "1000002"
    # Decrypted with wechatpy's own scheme: the body is what WeCom would send.
    encrypt = request.body.split(b"<Encrypt><![CDATA[")[1].split(b"]]>")[0].decode()
    assert wechat_crypto.decrypt(encrypt, key=wechat_crypto.aes_key(AES_KEY))[1] == CORP


def test_message_rejections() -> None:
    request = wecom.sign({}, topic="text", timestamp=NOW, url="https://e/wecom")
    tampered = request.body.replace(b"<Encrypt><![CDATA[", b"<Encrypt><![CDATA[A")
    with pytest.raises(SignatureError):
        receive(wecom, with_body(request, tampered), endpoint="/w", now=NOW)
    with pytest.raises(SignatureError):
        receive(wecom, with_body(request, b"<xml></xml>"), endpoint="/w", now=NOW)
    # Another provider's request: WeChat's safe mode under another AppID's key material.
    wechat = WeChat(secret=TOKEN, aes_key=AES_KEY, app_id="wx_other").sign(
        {}, topic="text", timestamp=NOW, url="https://e/wecom"
    )
    with pytest.raises(SignatureError):
        receive(wecom, wechat, endpoint="/w", now=NOW)


def test_ack_is_success_or_an_encrypted_passive_reply() -> None:
    request = wecom.sign({}, topic="text", delivery_id="1", timestamp=NOW, url="https://e/wecom")
    delivery = receive(wecom, request, endpoint="/w", now=NOW)
    assert isinstance(delivery, Delivery)
    assert wecom.ack(delivery, None) == Reply.text("success")
    encrypted = wecom.ack(delivery, Reply.xml("<xml><Content>hi</Content></xml>"))
    assert encrypted is not None and b"<Content>" not in encrypted.body  # not the plain reply
    # (base64 ciphertext may well contain "hi": decrypt it instead of searching it)
    ciphertext = re.search(rb"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", encrypted.body)
    assert ciphertext is not None, encrypted.body
    message, receive_id = wechat_crypto.decrypt(
        ciphertext.group(1).decode(), key=wechat_crypto.aes_key(AES_KEY)
    )
    assert (message, receive_id) == (b"<xml><Content>hi</Content></xml>", CORP)


# -- DingTalk ------------------------------------------------------------------------------

dingtalk = DingTalk(secret=TOKEN, aes_key=AES_KEY, owner_key="ding0123456789")


def test_dingtalk_check_url_gets_an_encrypted_success() -> None:
    request = dingtalk.sign({}, topic="check_url", timestamp=NOW, url="https://e/ding")
    reply = receive(dingtalk, request, endpoint="/d", now=NOW)
    assert isinstance(reply, Reply)
    answer = json.loads(reply.body)
    assert set(answer) == {"msg_signature", "timeStamp", "nonce", "encrypt"}
    key = wechat_crypto.aes_key(AES_KEY)
    assert wechat_crypto.decrypt(answer["encrypt"], key=key) == (b"success", "ding0123456789")
    assert answer["msg_signature"] == sha1_signature(
        TOKEN, answer["timeStamp"], answer["nonce"], answer["encrypt"]
    )


def test_dingtalk_events_and_their_ack() -> None:
    request = dingtalk.sign({"UserId": ["u1"]}, topic="user_add_org", timestamp=NOW, url="https://e/ding")
    delivery = receive(dingtalk, request, endpoint="/d", now=NOW)
    assert isinstance(delivery, Delivery)
    assert (delivery.topic, delivery.id_source, delivery.sent_at) == ("user_add_org", "body_hash", NOW)
    assert delivery.payload["UserId"] == ["u1"]
    answer = json.loads(dingtalk.ack(delivery, None).body)
    assert wechat_crypto.decrypt(answer["encrypt"], key=wechat_crypto.aes_key(AES_KEY))[0] == b"success"


def test_dingtalk_rejections() -> None:
    request = dingtalk.sign({}, topic="user_add_org", timestamp=NOW, url="https://e/ding")
    with pytest.raises(SignatureError):  # tampered
        receive(
            dingtalk,
            with_body(request, request.body.replace(b'"encrypt": "', b'"encrypt": "A')),
            endpoint="/d",
            now=NOW,
        )
    with pytest.raises(SignatureError):  # wrong token
        receive(
            DingTalk(secret="x", aes_key=AES_KEY, owner_key="ding0123456789"), request, endpoint="/d", now=NOW
        )
    with pytest.raises(SignatureError) as other:
        receive(DingTalk(secret=TOKEN, aes_key=AES_KEY, owner_key="another"), request, endpoint="/d", now=NOW)
    assert other.value.reason == "bad_receive_id"
    with pytest.raises(StaleTimestamp):  # the timestamp is in milliseconds
        receive(
            DingTalk(secret=TOKEN, aes_key=AES_KEY, owner_key="ding0123456789", tolerance=3600),
            request,
            endpoint="/d",
            now=NOW + 3601,
        )
    with pytest.raises(PayloadError) as missing:
        receive(dingtalk, with_body(request, b'{"x":1}'), endpoint="/d", now=NOW)
    assert missing.value.reason == "missing_encrypt"
    assert "wechat_token" not in repr(dingtalk) and AES_KEY not in repr(wecom)


@pytest.mark.anyio
async def test_through_asgi() -> None:
    hooks = memory_receiver(NOW)
    hooks.endpoint("/wecom", wecom).on("*")(lambda d: None)
    hooks.endpoint("/ding", dingtalk).on("*")(lambda d: None)
    event = dingtalk.sign({}, topic="user_add_org", timestamp=NOW, url="https://e/ding")
    async with asgi_client(hooks, "https://e") as client:
        checked = await client.get(f"/wecom?{QUERY}")
        acked = await client.post(
            f"/ding?{event.query_string}", content=event.body, headers=dict(event.headers)
        )
    assert (checked.status_code, checked.text) == (200, "6374298391722745391")
    assert acked.status_code == 200 and "encrypt" in acked.json()
