"""The known-answer vectors of our provider reference (captured in tests/providers/samples, each
made with the SDK named in its test), checked again with the provider's own SDK from the test
extra, then with our provider at the vector's own time.

The per-provider modules check most vectors against our code; this module re-establishes each
vector's provenance by running the SDK on it now, so a vector that drifted from what the SDK
computes fails here (and the SDK wins). An SDK that is not importable skips only its test.
Vectors whose SDK is not in the test extra (Shopify's is JavaScript; squareup and paypalrestsdk
are not installed; SNS has no Python validator) are recomputed from the documented formula with
the standard library; ``STDLIB_RECOMPUTED`` says where.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from hookreceiver.core.delivery import Delivery, HttpRequest, Reply
from hookreceiver.exceptions import SignatureError
from hookreceiver.providers import (
    DingTalk,
    Feishu,
    Provider,
    Slack,
    StandardWebhooks,
    Stripe,
    Svix,
    Twilio,
    WeChat,
    WeCom,
    receive,
)
from hookreceiver.providers.feishu import signature as lark_signature
from tests.providers.helpers import load_sample

T = 1700000000


def _verified(provider: Provider, request: HttpRequest, now: float) -> None:
    """Our provider accepts the vector's signature (the index of the first secret it was given)."""
    assert provider.verify(request, now=now) == 0


class _MultiDict(dict[str, list[str]]):
    """Form fields with repeated names, in the shape twilio's validator reads (``getall``)."""

    def getall(self, name: str) -> list[str]:
        return self[name]


def _flipped(body: bytes) -> bytes:
    middle = len(body) // 2
    return body[:middle] + bytes([body[middle] ^ 1]) + body[middle + 1 :]


# -- Stripe (stripe 16.1.0 in PROVIDERS.md) ---------------------------------------------------


def test_stripe_vectors_with_the_stripe_sdk() -> None:
    stripe = pytest.importorskip("stripe")
    for name, secrets in (
        ("payment_intent_succeeded", ["whsec_test_secret"]),
        ("rotation", ["whsec_test_secret", "whsec_old_secret"]),
    ):
        request = load_sample("stripe", name)
        header = request.headers["stripe-signature"]
        for secret in secrets:  # the rotation header is valid for both secrets
            assert stripe.WebhookSignature.verify_header(
                request.body.decode(), header, secret, tolerance=None
            )
            with pytest.raises(stripe.SignatureVerificationError):
                stripe.WebhookSignature.verify_header(
                    _flipped(request.body).decode(), header, secret, tolerance=None
                )
            _verified(Stripe(secret=secret), request, T)
    # The SDK computes the vector's v1 digest itself from the signed string.
    request = load_sample("stripe", "payment_intent_succeeded")
    computed = stripe.WebhookSignature._compute_signature(f"{T}.{request.body.decode()}", "whsec_test_secret")
    assert request.headers["stripe-signature"] == f"t={T},v1={computed}"


# -- Slack (slack_sdk 3.48.0) -----------------------------------------------------------------

SLACK_VECTORS = [
    ("slash_command_docs_example", "8f742231b10e8888abcd99yyyzzz85a5"),
    ("url_verification", "slack_signing_secret_test"),
    ("block_actions", "slack_signing_secret_test"),
]


@pytest.mark.parametrize(("name", "secret"), SLACK_VECTORS)
def test_slack_vectors_with_slack_sdk(name: str, secret: str) -> None:
    signature = pytest.importorskip("slack_sdk.signature")
    request = load_sample("slack", name)
    stamp = int(request.headers["x-slack-request-timestamp"])

    class Pinned(signature.Clock):  # type: ignore[misc, name-defined]
        def now(self) -> float:
            return float(stamp)

    verifier = signature.SignatureVerifier(secret, clock=Pinned())
    sent = request.headers["x-slack-signature"]
    assert verifier.generate_signature(timestamp=str(stamp), body=request.body) == sent
    assert verifier.is_valid(request.body, str(stamp), sent)
    assert not verifier.is_valid(_flipped(request.body), str(stamp), sent)
    _verified(Slack(secret=secret), request, stamp)


# -- Standard Webhooks / Svix (standardwebhooks, svix) ----------------------------------------

STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.mark.parametrize("name", ["docs_example", "invoice_paid", "invoice_paid_rotation"])
def test_standard_webhooks_vectors_with_both_sdks(name: str) -> None:
    standardwebhooks = pytest.importorskip("standardwebhooks")
    svix = pytest.importorskip("svix.webhooks")
    request = load_sample("standard", name)
    msg_id, stamp = request.headers["webhook-id"], int(request.headers["webhook-timestamp"])
    when = datetime.fromtimestamp(stamp, tz=UTC)
    for webhook in (standardwebhooks.Webhook(STANDARD_SECRET), svix.Webhook(STANDARD_SECRET)):
        expected = webhook.sign(msg_id, when, request.body.decode())
        # the signature from this secret is one of the header's entries (the last, when rotating)
        assert expected == request.headers["webhook-signature"].split(" ")[-1]
        assert webhook.sign(msg_id, when, _flipped(request.body).decode()) != expected
    _verified(StandardWebhooks(secret=STANDARD_SECRET), request, stamp)


def test_the_svix_header_vector_with_the_svix_sdk() -> None:
    svix = pytest.importorskip("svix.webhooks")
    request = load_sample("standard", "invoice_paid_svix")
    when = datetime.fromtimestamp(int(request.headers["svix-timestamp"]), tz=UTC)
    signed = svix.Webhook(STANDARD_SECRET).sign(request.headers["svix-id"], when, request.body.decode())
    assert signed == request.headers["svix-signature"]
    _verified(Svix(secret=STANDARD_SECRET), request, T)


# -- Twilio (twilio 9.13.0) --------------------------------------------------------------------

TWILIO_TOKEN = "12345"


def _form_params(request: HttpRequest) -> _MultiDict:
    params = _MultiDict()
    for key, value in parse_qsl(request.body.decode(), keep_blank_values=True):
        params.setdefault(key, []).append(value)
    return params


@pytest.mark.parametrize("name", ["form_post", "multi_value", "form_post_sha256"])
def test_twilio_form_vectors_with_the_request_validator(name: str) -> None:
    validator_module = pytest.importorskip("twilio.request_validator")
    request = load_sample("twilio", name)
    validator = validator_module.RequestValidator(TWILIO_TOKEN)
    params = _form_params(request)
    algorithm = "HMAC_SHA256" if "x-twilio-webhooks-signature-settings" in request.headers else "HMAC_SHA1"
    sent = request.headers["x-twilio-signature"]
    assert validator.compute_signature(request.url, params, algorithm) == sent
    other = _MultiDict({**params, next(iter(params)): ["changed"]})
    assert validator.compute_signature(request.url, other, algorithm) != sent
    _verified(Twilio(secret=TWILIO_TOKEN), request, T)


def test_twilio_get_and_json_vectors_with_the_request_validator() -> None:
    validator_module = pytest.importorskip("twilio.request_validator")
    validator = validator_module.RequestValidator(TWILIO_TOKEN)
    get = load_sample("twilio", "get")
    assert validator.validate(get.url, {}, get.headers["x-twilio-signature"])
    _verified(Twilio(secret=TWILIO_TOKEN), get, T)
    posted = load_sample("twilio", "json_body")
    query = dict(parse_qsl(urlsplit(posted.url).query))
    assert query["bodySHA256"] == hashlib.sha256(posted.body).hexdigest()
    assert validator.validate(posted.url, posted.body.decode(), posted.headers["x-twilio-signature"])
    assert not validator.validate(
        posted.url, _flipped(posted.body).decode(), posted.headers["x-twilio-signature"]
    )
    _verified(Twilio(secret=TWILIO_TOKEN), posted, T)


# -- WeChat and WeCom (wechatpy 1.8.18) ---------------------------------------------------------

WECHAT_TOKEN = "wechat_token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx0123456789abcdef"
DECRYPTED = (
    "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oUser123]]>"
    "</FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[hello]]></Content><MsgId>23456789012345678</MsgId></xml>"
)


def test_wechat_plain_signature_vector_with_wechatpy() -> None:
    utils = pytest.importorskip("wechatpy.utils")
    exceptions = pytest.importorskip("wechatpy.exceptions")
    for name in ("get_verification", "plain_text"):
        request = load_sample("wechat", name)
        query = request.query
        utils.check_signature(WECHAT_TOKEN, query["signature"], query["timestamp"], query["nonce"])
        with pytest.raises(exceptions.InvalidSignatureException):
            utils.check_signature(WECHAT_TOKEN, query["signature"], query["timestamp"], query["nonce"] + "1")
        _verified(WeChat(secret=WECHAT_TOKEN), request, T)


def test_wechat_safe_mode_vector_with_wechatpy() -> None:
    crypto = pytest.importorskip("wechatpy.crypto")
    request = load_sample("wechat", "safe_text")
    query = request.query
    plain = crypto.WeChatCrypto(WECHAT_TOKEN, AES_KEY, APP_ID).decrypt_message(
        request.body.decode(), query["msg_signature"], query["timestamp"], query["nonce"]
    )
    assert plain == DECRYPTED
    delivery = receive(
        WeChat(secret=WECHAT_TOKEN, aes_key=AES_KEY, app_id=APP_ID), request, endpoint="/v", now=T
    )
    assert isinstance(delivery, Delivery)
    assert (delivery.payload["Content"], delivery.delivery_id) == ("hello", "23456789012345678")


def test_wecom_encrypted_echostr_vector_with_wechatpy() -> None:
    enterprise = pytest.importorskip("wechatpy.enterprise.crypto")
    echostr = "Q3stYC6hdFzMh9T8HCvyDKiMSl80csQOcPh+hopewwcLFy424vaO1Xrl1M7WOVlE9umeSbE8tpqmWrSo6gyg6Q=="
    signature = "df4700f2c71bb4faf06ba0accac0223d8ed8a46e"
    wecom_crypto = enterprise.WeChatCrypto(WECHAT_TOKEN, AES_KEY, APP_ID)
    decrypted = wecom_crypto.check_signature(signature, str(T), "1514711492", echostr)
    assert (decrypted.decode() if isinstance(decrypted, bytes) else decrypted) == "6374298391722745391"
    query = urlencode({"msg_signature": signature, "timestamp": T, "nonce": "1514711492", "echostr": echostr})
    request = HttpRequest("GET", f"https://e/wecom?{query}", "/wecom", {}, query, b"")
    reply = receive(
        WeCom(secret=WECHAT_TOKEN, aes_key=AES_KEY, corp_id=APP_ID), request, endpoint="/v", now=T
    )
    assert reply == Reply.text("6374298391722745391")


def test_dingtalk_callbacks_both_ways_with_wechatpys_wecom_crypto() -> None:
    """DingTalk has no SDK in the test extra; its callbacks use WeCom's scheme (SHA-1 over the
    sorted token, timestamp, nonce and Encrypt; AES with the receive id inside), which wechatpy's
    WeCom crypto implements. Our DingTalk's requests pass it, and its output passes ours."""
    enterprise = pytest.importorskip("wechatpy.enterprise.crypto")
    exceptions = pytest.importorskip("wechatpy.enterprise.exceptions")
    owner = "dingcorp0123456789"
    ours = DingTalk(secret="ding_token", aes_key=AES_KEY, owner_key=owner)
    theirs = enterprise.WeChatCrypto("ding_token", AES_KEY, owner)
    request = ours.sign({"UserId": ["u1"]}, topic="user_add_org", timestamp=T, url="https://e/ding?corp=1")
    query = request.query
    encrypt = json.loads(request.body)["encrypt"]
    plain = theirs.check_signature(query["msg_signature"], query["timestamp"], query["nonce"], encrypt)
    assert json.loads(plain)["EventType"] == "user_add_org"
    with pytest.raises(exceptions.InvalidCorpIdException):
        enterprise.WeChatCrypto("ding_token", AES_KEY, "another-corp").check_signature(
            query["msg_signature"], query["timestamp"], query["nonce"], encrypt
        )
    # wechatpy encrypts and signs an event; posted as DingTalk posts it, ours accepts it.
    event = json.dumps({"EventType": "user_leave_org", "UserId": ["u2"], "TimeStamp": T * 1000})
    reply = theirs.encrypt_message(event, "nonce42", str(T * 1000))
    fields = {}
    for name in ("Encrypt", "MsgSignature"):
        found = re.search(rf"<{name}><!\[CDATA\[(.*?)\]\]></{name}>", reply)
        assert found is not None, reply
        fields[name] = found.group(1)
    sent = urlencode({"msg_signature": fields["MsgSignature"], "timestamp": T * 1000, "nonce": "nonce42"})
    posted = HttpRequest(
        "POST",
        f"https://e/ding?{sent}",
        "/ding",
        {"content-type": "application/json"},
        sent,
        json.dumps({"encrypt": fields["Encrypt"]}).encode(),
    )
    delivery = receive(ours, posted, endpoint="/v", now=T)
    assert isinstance(delivery, Delivery) and delivery.topic == "user_leave_org"


# -- Feishu / Lark (lark-oapi 1.7.5) ----------------------------------------------------------------

LARK_KEY, LARK_TOKEN = "lark_encrypt_key_test", "v_token_test"


def _lark_dispatch(request: HttpRequest) -> tuple[int, bytes, list[Any]]:
    """What lark-oapi's ``EventDispatcherHandler.do`` answers to ``request`` (it checks
    X-Lark-Signature with the Encrypt Key, decrypts, checks the token), and the events it ran."""
    lark = pytest.importorskip("lark_oapi")
    raw_request = pytest.importorskip("lark_oapi.core.model").RawRequest
    seen: list[Any] = []
    handler = (
        lark.EventDispatcherHandler.builder(LARK_KEY, LARK_TOKEN)
        .register_p2_im_message_receive_v1(seen.append)
        .build()
    )
    raw = raw_request()
    raw.uri = request.path
    # the SDK reads its headers by their exact names (X-Lark-Signature, ...), as Feishu sends them
    raw.headers = {"-".join(w.capitalize() for w in k.split("-")): v for k, v in request.headers.items()}
    raw.body = request.body
    answer = handler.do(raw)
    return answer.status_code, answer.content, seen


def _lark_sample() -> HttpRequest:
    return load_sample("feishu", "encrypted_event")


def test_the_feishu_vector_with_lark_oapis_event_dispatcher() -> None:
    """(a) lark-oapi accepts the captured request, and so does our provider at its time; (b) our
    signature function gives the header for the same timestamp, nonce, key and body; (c) a body
    one byte off is refused by both."""
    request = _lark_sample()
    status, content, seen = _lark_dispatch(request)
    assert (status, json.loads(content)) == (200, {"msg": "success"})
    assert seen[0].header.event_id == "5e3702a84e847582be8db7fb73283c02"
    _verified(Feishu(secret=LARK_TOKEN, encrypt_key=LARK_KEY), request, T)
    headers = request.headers
    stamp, nonce = headers["x-lark-request-timestamp"], headers["x-lark-request-nonce"]
    assert lark_signature(stamp, nonce, LARK_KEY.encode(), request.body) == headers["x-lark-signature"]
    # A body one byte off: lark-oapi decrypts before it checks the signature, so it fails on
    # the garbled plaintext; a nonce one byte off decrypts, and fails the signature check.
    flipped = HttpRequest(request.method, request.url, request.path, headers, "", _flipped(request.body))
    renonced = HttpRequest(
        request.method,
        request.url,
        request.path,
        {**headers, "x-lark-request-nonce": "0b7c1e6b"},
        "",
        request.body,
    )
    assert _lark_dispatch(flipped)[0] == 500
    status, content, seen = _lark_dispatch(renonced)
    assert (status, json.loads(content), seen) == (500, {"msg": "signature verification failed"}, [])
    for changed in (flipped, renonced):
        with pytest.raises(SignatureError) as caught:
            Feishu(secret=LARK_TOKEN, encrypt_key=LARK_KEY).verify(changed, now=T)
        assert caught.value.reason == "bad_signature"


def test_our_feishu_requests_pass_lark_oapi() -> None:
    """Our sign() (a fresh IV and nonce each time) makes events lark-oapi decrypts, verifies and
    runs, and an encrypted url_verification it answers as our provider does."""
    ours = Feishu(secret=LARK_TOKEN, encrypt_key=LARK_KEY)
    event = ours.sign(
        {"message": {"message_id": "om_2"}}, topic="im.message.receive_v1", timestamp=T, url="https://e/l"
    )
    status, _, seen = _lark_dispatch(event)
    assert status == 200 and seen[0].event.message.message_id == "om_2"
    challenge = ours.sign({}, topic="url_verification", timestamp=T, url="https://e/l")
    status, content, _ = _lark_dispatch(challenge)
    reply = receive(ours, challenge, endpoint="/l", now=T)
    assert status == 200 and isinstance(reply, Reply) and json.loads(content) == json.loads(reply.body)


# -- where the SDK is not in the test extra ------------------------------------------------------

# vector -> the module that recomputes it from the documented formula with the standard library
STDLIB_RECOMPUTED = {
    "shopify/orders_create (@shopify/shopify-api, JavaScript)": "tests/providers/test_shopify.py",
    "square/payment_updated (squareup)": "tests/providers/test_sdk_vectors.py",
    "paypal signed string (paypalrestsdk)": "tests/providers/test_paypal.py",
    "sns string to sign (no Python validator)": "tests/providers/test_sns.py",
}


def test_square_vector_from_the_documented_formula() -> None:
    request = load_sample("square", "payment_updated")
    key, data = b"sq_signature_key_test", request.url.encode() + request.body
    assert (
        request.headers["x-square-hmacsha256-signature"]
        == base64.b64encode(hmac.new(key, data, hashlib.sha256).digest()).decode()
    )
    assert (
        request.headers["x-square-signature"]
        == base64.b64encode(hmac.new(key, data, hashlib.sha1).digest()).decode()
    )


def test_the_stdlib_list_points_at_real_modules() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    assert all((root / module).is_file() for module in STDLIB_RECOMPUTED.values())
