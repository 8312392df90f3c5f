"""Twilio: known answers, twilio's RequestValidator both ways, topics and ids, ASGI, proxies."""

from __future__ import annotations

import hashlib
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from hookreceiver import HookReceiver, Reply, Settings
from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.exceptions import PayloadError, SignatureError, UnsupportedContentType
from hookreceiver.providers import PROVIDERS, Twilio, receive
from hookreceiver.providers.twilio import EMPTY_TWIML, content_id, url_variants
from hookreceiver.testing.signing import build_request
from tests.helpers import asgi_client
from tests.providers.helpers import load_sample, memory_receiver

TOKEN = "12345"
OTHER = "67890"
NOW = 1700000000.0
SMS = {
    "MessageSid": "SM0001",
    "SmsStatus": "received",
    "From": "+15550001111",
    "To": "+15550002222",
    "Body": "hello",
    "AccountSid": "AC0001",
}


load = partial(load_sample, "twilio")


def form_request(url: str, params: dict[str, str], signature: str, **headers: str) -> HttpRequest:
    parts = urlsplit(url)
    return HttpRequest(
        "POST",
        url,
        parts.path,
        {"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature, **headers},
        parts.query,
        urlencode(params).encode(),
    )


def identify(provider: Twilio, request: HttpRequest) -> Delivery:
    delivery = receive(provider, request, endpoint="/sms", now=NOW)
    assert isinstance(delivery, Delivery)
    return delivery


# -- known answers -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["form_post", "json_body", "get", "multi_value", "form_post_sha256"])
def test_vectors_verify(name: str) -> None:
    assert Twilio(secret=TOKEN).verify(load(name), now=NOW) == 0


def test_multi_value_params_are_all_signed() -> None:
    request = load("multi_value")
    assert identify(Twilio(secret=TOKEN), request).payload["To"] == ["+15550002222", "+15550001111"]
    dropped = HttpRequest(
        "POST", request.url, request.path, request.headers, "", b"To=%2B15550002222&From=%2B15550003333"
    )
    with pytest.raises(SignatureError):
        Twilio(secret=TOKEN).verify(dropped, now=NOW)


@pytest.mark.parametrize(
    "url",
    ["https://mycompany.com:443/myapp.php?foo=1&bar=2", "https://mycompany.com/myapp.php?foo=1&bar=2"],
)
def test_accepted_with_and_without_the_default_port(url: str) -> None:
    assert Twilio(secret=TOKEN).verify(load("form_post", url=url), now=NOW) == 0


def test_any_port_may_be_left_out_as_the_sdk_allows() -> None:
    url = "https://mycompany.com:8443/myapp.php?foo=1&bar=2"
    sample = load("form_post")
    params = dict(parse_qsl(sample.body.decode()))
    assert RequestValidator(TOKEN).validate(url, params, sample.headers["x-twilio-signature"])
    assert Twilio(secret=TOKEN).verify(load("form_post", url=url), now=NOW) == 0


def test_url_variants() -> None:
    assert url_variants("https://a.example/x?y=1") == [
        "https://a.example/x?y=1",
        "https://a.example:443/x?y=1",
    ]
    assert url_variants("http://u:p@a.example:8080/x") == [
        "http://u:p@a.example:8080/x",
        "http://u:p@a.example/x",
    ]
    assert url_variants("http://[::1]/x")[1] == "http://[::1]:80/x"


# -- twilio's RequestValidator as the reference -------------------------------------------


@pytest.mark.parametrize("url", ["https://hooks.example.com/sms?x=1", "http://127.0.0.1:8000/sms"])
def test_sdk_signs_we_verify_form(url: str) -> None:
    signature = RequestValidator(TOKEN).compute_signature(url, SMS)
    delivery = identify(Twilio(secret=TOKEN), form_request(url, SMS, signature))
    assert delivery.topic == "message.received"
    assert delivery.delivery_id == f"SM0001:received:{content_id(url, SMS.items())}"


def test_sdk_signs_we_verify_json_body() -> None:
    body = b'{"event": "x", "n": 1}'
    url = f"https://hooks.example.com/events?bodySHA256={hashlib.sha256(body).hexdigest()}"
    signature = RequestValidator(TOKEN).compute_signature(url, {})
    request = HttpRequest(
        "POST",
        url,
        "/events",
        {"content-type": "application/json", "x-twilio-signature": signature},
        urlsplit(url).query,
        body,
    )
    assert Twilio(secret=TOKEN).verify(request, now=NOW) == 0
    tampered = HttpRequest(
        request.method, url, request.path, request.headers, request.query_string, body.replace(b"1", b"2")
    )
    with pytest.raises(SignatureError) as info:
        Twilio(secret=TOKEN).verify(tampered, now=NOW)
    assert info.value.reason == "bad_body_hash"


def test_sdk_signs_sha256_shared_key_we_verify() -> None:
    url = "https://hooks.example.com/sms"
    signature = RequestValidator(TOKEN).compute_signature(url, SMS, "HMAC_SHA256")
    request = form_request(
        url, SMS, signature, **{"x-twilio-webhooks-signature-settings": "key=HK1,algorithm=HMAC_SHA256"}
    )
    assert Twilio(secret=TOKEN).verify(request, now=NOW) == 0
    sha1_claimed = form_request(url, SMS, signature)  # no settings header: SHA-1 expected
    with pytest.raises(SignatureError):
        Twilio(secret=TOKEN).verify(sha1_claimed, now=NOW)


@pytest.mark.parametrize("topic", ["message.received", "call.ringing", "sms.incoming"])
def test_we_sign_sdk_verifies(topic: str) -> None:
    url = "https://hooks.example.com/voice?a=b"
    request = Twilio(secret=TOKEN).sign({**SMS, "Tag": ["b", "a"]}, topic=topic, timestamp=NOW, url=url)
    params: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.body.decode()):
        params.setdefault(name, []).append(value)

    class MultiDict(dict[str, list[str]]):
        def getlist(self, name: str) -> list[str]:
            return self[name]

    validator = RequestValidator(TOKEN)
    assert validator.validate(url, MultiDict(params), request.headers["x-twilio-signature"])
    assert not RequestValidator(OTHER).validate(url, MultiDict(params), request.headers["x-twilio-signature"])


@settings(max_examples=50)
@given(
    params=st.dictionaries(
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=8),
        st.text(st.characters(codec="utf-8"), max_size=12),
        max_size=6,
    )
)
def test_any_params_round_trip_with_the_sdk(params: dict[str, str]) -> None:
    url = "https://hooks.example.com/sms"
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    assert Twilio(secret=TOKEN).verify(form_request(url, params, signature), now=NOW) == 0


# -- failures ------------------------------------------------------------------------------


def test_wrong_token_and_rotation() -> None:
    with pytest.raises(SignatureError):
        Twilio(secret=OTHER).verify(load("form_post"), now=NOW)
    assert Twilio(secret=[OTHER, TOKEN]).verify(load("form_post"), now=NOW) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1235&From=%2B12349013030&To=%2B18005551212",
        b"CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030",
        b"CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212&X=1",
    ],
    ids=["changed", "removed", "added"],
)
def test_tampered_params_fail(body: bytes) -> None:
    request = load("form_post")
    tampered = HttpRequest("POST", request.url, request.path, request.headers, request.query_string, body)
    with pytest.raises(SignatureError):
        Twilio(secret=TOKEN).verify(tampered, now=NOW)


@pytest.mark.parametrize(
    "url",
    [
        "http://mycompany.com/myapp.php?foo=1&bar=2",
        "https://mycompany.com/myapp.php?foo=1",
        "https://proxy.internal/myapp.php?foo=1&bar=2",
        "http://mycompany.com:443/myapp.php?foo=1&bar=2",
    ],
)
def test_a_different_url_fails(url: str) -> None:
    with pytest.raises(SignatureError, match="public URL"):
        Twilio(secret=TOKEN).verify(load("form_post", url=url), now=NOW)


@pytest.mark.parametrize(
    ("name", "changes", "reason"),
    [
        ("form_post", {"x_twilio_signature": None}, "missing_signature"),
        ("form_post", {"x_twilio_signature": "not base64 at all"}, "bad_signature"),
        ("form_post", {"x_twilio_webhooks_signature_settings": "algorithm=HMAC_MD5"}, "bad_signature"),
        ("json_body", {}, "bad_signature"),  # the URL below drops bodySHA256
    ],
)
def test_header_failures(name: str, changes: dict[str, str | None], reason: str) -> None:
    url = "https://mycompany.com/myapp.php" if name == "json_body" else None
    with pytest.raises(SignatureError) as info:
        Twilio(secret=TOKEN).verify(load(name, url=url, **changes), now=NOW)
    assert info.value.reason == reason


def test_wrong_content_type_is_415_after_verifying() -> None:
    request = load("form_post", content_type="text/plain")
    with pytest.raises(UnsupportedContentType):
        receive(Twilio(secret=TOKEN), request, endpoint="/sms", now=NOW)


def test_token_never_shows() -> None:
    provider = Twilio(secret=["s3cr3t-token-a", "s3cr3t-token-b"])
    assert "s3cr3t" not in repr(provider)
    with pytest.raises(SignatureError) as info:
        provider.verify(load("form_post"), now=NOW)
    assert "s3cr3t" not in str(info.value)


# -- topics and delivery ids ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "topic", "aliases"),
    [
        (SMS, "message.received", ("message",)),
        (
            {"MessageSid": "SM1", "MessageStatus": "delivered", "SmsStatus": "delivered"},
            "message.delivered",
            ("message",),
        ),
        ({"CallSid": "CA1", "CallStatus": "ringing"}, "call.ringing", ("call",)),
        (
            {"CallSid": "CA1", "RecordingSid": "RE1", "RecordingStatus": "completed"},
            "recording.completed",
            ("recording",),
        ),
        ({"EventType": "onMessageAdded", "ConversationSid": "CH1"}, "onMessageAdded", ()),
        ({"Digits": "1"}, "callback", ()),
    ],
)
def test_automatic_topics(params: dict[str, str], topic: str, aliases: tuple[str, ...]) -> None:
    url = "https://h.example/t"
    request = form_request(url, params, RequestValidator(TOKEN).compute_signature(url, params))
    delivery = identify(Twilio(secret=TOKEN), request)
    assert (delivery.topic, delivery.aliases) == (topic, aliases)


@pytest.mark.parametrize(
    ("option", "topic"),
    [
        ("sms.incoming", "sms.incoming"),
        ("sms.{SmsStatus}", "sms.received"),
        ("{AccountSid}/{SmsStatus}", "AC0001/received"),
    ],
)
def test_topic_option_constant_or_template(option: str, topic: str) -> None:
    provider = Twilio(secret=TOKEN, topic=option)
    request = provider.sign(SMS, topic=topic, timestamp=NOW, url="https://h.example/sms")
    assert identify(provider, request).topic == topic


def test_template_needs_its_parameter() -> None:
    provider = Twilio(secret=TOKEN, topic="voice.{CallStatus}")
    with pytest.raises(PayloadError) as info:
        identify(provider, provider.sign(SMS, topic="x", timestamp=NOW, url="https://h.example/sms"))
    assert info.value.reason == "missing_topic"


def test_a_templated_endpoint_says_how_a_test_sender_can_satisfy_it() -> None:
    # `hookreceiver send --provider twilio` signs without the endpoint's template ...
    endpoint = Twilio(secret=TOKEN, topic="sms.{SmsStatus}")
    request = build_request(
        "twilio", {}, topic="sms.delivered", secret=TOKEN, timestamp=NOW, url="https://h.example/sms"
    )
    with pytest.raises(PayloadError) as info:
        identify(endpoint, request)
    assert info.value.reason == "missing_topic"
    assert "SmsStatus" in info.value.detail and "sms.{SmsStatus}" in info.value.detail
    assert "--app" in info.value.detail and "--data" in info.value.detail
    # ... so either sign as the endpoint itself (--app): sign() fills the template's parameters,
    request = build_request(endpoint, {}, topic="sms.delivered", timestamp=NOW, url="https://h.example/sms")
    assert identify(endpoint, request).topic == "sms.delivered"
    # ... or put the parameter in the payload (--data).
    request = build_request(
        "twilio",
        {"SmsStatus": "delivered"},
        topic="sms.delivered",
        secret=TOKEN,
        timestamp=NOW,
        url="https://h.example/sms",
    )
    assert identify(endpoint, request).topic == "sms.delivered"


@pytest.mark.parametrize("topic", ["message.queued", "call.completed", "recording.absent", "onX"])
def test_sign_places_automatic_topics_where_identify_reads_them(topic: str) -> None:
    provider = Twilio(secret=TOKEN)
    request = provider.sign({"AccountSid": "AC1"}, topic=topic, timestamp=NOW, url="https://h.example/s")
    assert identify(provider, request).topic == topic


# -- through the ASGI app ------------------------------------------------------------------


def make_app(
    settings: Settings | None = None, public_url: str | None = None, reply: Reply | None = None
) -> tuple[HookReceiver, list[str]]:
    hooks = memory_receiver(NOW, settings)
    endpoint = hooks.endpoint("/sms", Twilio(secret=TOKEN), public_url=public_url)
    seen: list[str] = []
    endpoint.on("*")(lambda d: None)
    if reply is not None:

        @endpoint.respond
        def respond(delivery: Delivery) -> Reply:
            seen.append(delivery.topic)
            return reply

    return hooks, seen


async def call(
    hooks: HookReceiver,
    request: HttpRequest,
    *,
    base: str = "http://internal:8000",
    path: str = "/sms",
    **headers: str,
) -> httpx.Response:
    async with asgi_client(hooks, base) as client:
        target = path + (f"?{request.query_string}" if request.query_string else "")
        return await client.request(
            request.method, target, content=request.body, headers={**request.headers, **headers}
        )


def signed(url: str, params: dict[str, Any] | None = None) -> HttpRequest:
    return Twilio(secret=TOKEN).sign(params or SMS, topic="message.received", timestamp=NOW, url=url)


@pytest.mark.anyio
async def test_asgi_inline_twiml_reply() -> None:
    twiml = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>hi</Message></Response>'
    hooks, seen = make_app(reply=Reply.xml(twiml))
    response = await call(hooks, signed("http://internal:8000/sms"))
    assert response.status_code == 200 and response.text == twiml
    assert response.headers["content-type"].startswith("text/xml")
    assert seen == ["message.received"]


@pytest.mark.anyio
async def test_asgi_default_ack_is_empty_twiml_and_duplicates_too() -> None:
    hooks, _ = make_app()
    request = signed("http://internal:8000/sms")
    for _ in range(2):
        response = await call(hooks, request)
        assert (response.status_code, response.text) == (200, EMPTY_TWIML)
        assert response.headers["content-type"].startswith("text/xml")


@pytest.mark.anyio
async def test_asgi_get_callback() -> None:
    hooks, _ = make_app()
    query = urlencode({"CallSid": "CA1", "CallStatus": "completed"})
    url = f"http://internal:8000/sms?{query}"
    signature = RequestValidator(TOKEN).compute_signature(url, {})
    request = HttpRequest("GET", url, "/sms", {"x-twilio-signature": signature}, query, b"")
    assert (await call(hooks, request)).status_code == 200
    forged = HttpRequest(
        "GET", url, "/sms", {"x-twilio-signature": signature}, query.replace("completed", "failed"), b""
    )
    assert (await call(hooks, forged)).json()["error"] == "bad_signature"


@pytest.mark.anyio
async def test_asgi_rejects_bad_signatures_with_401_json() -> None:
    hooks, _ = make_app()
    response = await call(hooks, signed("http://internal:8000/sms"), **{"x-twilio-signature": "AAAA"})
    assert response.status_code == 401 and response.json()["error"] == "bad_signature"
    response = await call(hooks, signed("http://internal:8000/other"))
    assert response.status_code == 401  # signed for another path


PUBLIC = "https://hooks.example.com"


@pytest.mark.anyio
async def test_proxy_endpoint_public_url() -> None:
    request = signed(f"{PUBLIC}/twilio/sms")
    hooks, _ = make_app(public_url=f"{PUBLIC}/twilio/sms")
    assert (await call(hooks, request)).status_code == 200
    plain, _ = make_app()
    assert (await call(plain, request)).status_code == 401


@pytest.mark.anyio
async def test_proxy_public_base_url_setting() -> None:
    request = signed(f"{PUBLIC}/sms")
    hooks, _ = make_app(settings=Settings(public_base_url=PUBLIC + "/"))
    assert (await call(hooks, request)).status_code == 200


@pytest.mark.anyio
async def test_proxy_trusted_forwarded_headers() -> None:
    request = signed(f"{PUBLIC}/sms")
    forwarded = {"x-forwarded-proto": "https", "x-forwarded-host": "hooks.example.com"}
    trusting, _ = make_app(settings=Settings(trust_forwarded=True))
    assert (await call(trusting, request, **forwarded)).status_code == 200
    # Not trusted: the forwarded headers are ignored and the internal URL does not match.
    distrusting, _ = make_app(settings=Settings(trust_forwarded=False))
    assert (await call(distrusting, request, **forwarded)).status_code == 401


# -- the example ---------------------------------------------------------------------------


@pytest.mark.anyio
async def test_example_twilio_sms_auto_replies() -> None:
    from examples import twilio_sms

    hooks = twilio_sms.hooks
    provider = Twilio(secret=twilio_sms.auth_token)
    request = provider.sign(
        {**SMS, "Body": "ping <3"}, topic="message.received", timestamp=NOW, url="http://internal:8000/sms"
    )
    try:
        response = await call(hooks, request)
    finally:
        await hooks.stop()
    assert response.status_code == 200
    assert response.text.endswith("<Response><Message>You said: ping &lt;3</Message></Response>")


def test_registered_by_name() -> None:
    assert PROVIDERS["twilio"] is Twilio
