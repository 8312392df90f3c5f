"""The Generic provider: sources, signing options, timestamps, templates, unsigned mode, round trips."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.exceptions import (
    ConfigurationError,
    MethodNotAllowed,
    PayloadError,
    SignatureError,
    StaleTimestamp,
)
from hookreceiver.providers import Generic, Source, receive

NOW = 1_700_000_000.0
URL = "https://example.com/hooks/orders"
SECRET = "s3cret-value"


def post(body: bytes, headers: dict[str, str], *, url: str = URL, method: str = "POST") -> HttpRequest:
    query = url.partition("?")[2]
    all_headers = {"content-type": "application/json", **headers}
    return HttpRequest(method, url, "/hooks/orders", all_headers, query, body)


def hmac_hex(message: bytes, key: str = SECRET, algorithm: str = "sha256") -> str:
    return hmac.new(key.encode(), message, getattr(hashlib, algorithm)).hexdigest()


def delivered(provider: Generic, request: HttpRequest, now: float = NOW) -> Delivery[Any]:
    result = receive(provider, request, endpoint="/orders", now=now)
    assert isinstance(result, Delivery)
    return result


# -- sources -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "delivery_id", "headers", "url", "expected"),
    [
        ("body:type", "body:id", {}, URL, ("order.created", "evt_1")),
        ("body:data.kind", "body:data.items.0", {}, URL, ("nested", "i0")),
        (
            "header:X-Event",
            "header:X-Request-Id",
            {"x-event": "h.topic", "x-request-id": "r-9"},
            URL,
            ("h.topic", "r-9"),
        ),
        ("query:event", "query:id", {}, URL + "?event=q.topic&id=q-1", ("q.topic", "q-1")),
        ("const:order.any", "const:fixed", {}, URL, ("order.any", "fixed")),
        ("body:type", "body:number", {}, URL, ("order.created", "42")),
    ],
)
def test_sources_for_topic_and_id(
    topic: str, delivery_id: str, headers: dict[str, str], url: str, expected: tuple[str, str]
) -> None:
    body = b'{"type":"order.created","id":"evt_1","number":42,"data":{"kind":"nested","items":["i0"]}}'
    provider = Generic(secret=SECRET, topic=topic, delivery_id=delivery_id)
    delivery = delivered(provider, post(body, {"x-signature": hmac_hex(body), **headers}, url=url))
    assert (delivery.topic, delivery.delivery_id, delivery.id_source) == (*expected, "provider")


@pytest.mark.parametrize(
    ("topic", "delivery_id"),
    [
        ("body:type", "body:missing"),
        ("body:type", "header:x-none"),
        ("body:type", "query:none"),
        ("body:type", "body:data"),
        ("body:type", "body:empty"),
    ],
)
def test_missing_or_unusable_id_falls_back_to_body_hash(topic: str, delivery_id: str) -> None:
    body = b'{"type":"t","data":{"a":1},"empty":""}'
    delivery = delivered(
        Generic(secret=SECRET, topic=topic, delivery_id=delivery_id),
        post(body, {"x-signature": hmac_hex(body)}),
    )
    assert delivery.id_source == "body_hash" and delivery.delivery_id.startswith("sha256:")


@pytest.mark.parametrize("topic", ["body:nope", "body:data", "header:x-event", "query:event", "body:list"])
def test_missing_topic(topic: str) -> None:
    body = b'{"type":"t","data":{"a":1},"list":[1]}'
    with pytest.raises(PayloadError) as info:
        receive(
            Generic(secret=SECRET, topic=topic),
            post(body, {"x-signature": hmac_hex(body)}),
            endpoint="/o",
            now=NOW,
        )
    assert info.value.reason == "missing_topic"
    assert topic in str(info.value)


@pytest.mark.parametrize(
    "spec", ["", "body", "body:", "header:", "cookie:x", "Header:x", "json:type", ":x", "const:"]
)
def test_invalid_source_specs(spec: str) -> None:
    with pytest.raises(ConfigurationError, match="invalid source"):
        Source(spec)
    with pytest.raises(ConfigurationError):
        Generic(secret=SECRET, topic=spec or "x")
    with pytest.raises(ConfigurationError):
        Generic(secret=SECRET, delivery_id=spec or "x")


def test_source_repr_and_header_names() -> None:
    assert repr(Source("header:X-Event")) == "Source('header:x-event')"
    assert Source("const:Mixed:Case").name == "Mixed:Case"


# -- signing options -----------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha512"])
@pytest.mark.parametrize("encoding", ["hex", "base64"])
@pytest.mark.parametrize("prefix", ["", "sha256=", "v1,"])
def test_algorithms_encodings_prefixes(algorithm: Any, encoding: Any, prefix: str) -> None:
    body = b'{"type":"t","id":"1"}'
    digest = hmac.new(SECRET.encode(), body, getattr(hashlib, algorithm)).digest()
    text = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
    provider = Generic(
        secret=SECRET, signature_header="X-Hub-Sig", algorithm=algorithm, encoding=encoding, prefix=prefix
    )
    assert delivered(provider, post(body, {"x-hub-sig": prefix + text})).secret_index == 0
    with pytest.raises(SignatureError):
        receive(provider, post(body + b"\n", {"x-hub-sig": prefix + text}), endpoint="/o", now=NOW)


def test_github_docs_vector_through_generic() -> None:
    provider = Generic(
        secret="It's a Secret to Everybody",
        signature_header="x-hub-signature-256",
        prefix="sha256=",
        topic="const:ping",
    )
    signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    request = HttpRequest(
        "POST",
        URL,
        "/h",
        {"content-type": "application/json", "x-hub-signature-256": signature},
        "",
        b'"Hello, World!"',
    )
    with pytest.raises(SignatureError):  # the signature covers `Hello, World!` without quotes
        receive(provider, request, endpoint="/gh", now=NOW)
    raw = dataclasses.replace(
        request, body=b"Hello, World!", headers={**request.headers, "content-type": "text/plain"}
    )
    assert provider.verify(raw, now=NOW) == 0


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing_signature"),
        ({"x-signature": ""}, "missing_signature"),
        ({"x-signature": "zz"}, "bad_signature"),
        ({"x-signature": hmac_hex(b"other")}, "bad_signature"),
        ({"x-signature": hmac_hex(b'{"type":"t"}', key="wrong")}, "bad_signature"),
    ],
)
def test_signature_failures(headers: dict[str, str], reason: str) -> None:
    with pytest.raises(SignatureError) as info:
        receive(Generic(secret=SECRET), post(b'{"type":"t"}', headers), endpoint="/o", now=NOW)
    assert info.value.reason == reason and info.value.status_hint == 401
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)


def test_rotated_secrets_report_the_matching_index() -> None:
    provider = Generic(secret=["newest", "older", SECRET])
    body = b'{"type":"t"}'
    assert delivered(provider, post(body, {"x-signature": hmac_hex(body, key=SECRET)})).secret_index == 2
    assert delivered(provider, post(body, {"x-signature": hmac_hex(body, key="newest")})).secret_index == 0
    for index in range(3):
        request = provider.sign({"type": "t"}, topic="t", timestamp=NOW, url=URL, secret_index=index)
        assert delivered(provider, request).secret_index == index


# -- timestamps and templates --------------------------------------------------------------


def stamped(tolerance: float = 300.0) -> Generic:
    return Generic(
        secret=SECRET,
        timestamp_header="X-Timestamp",
        signed_content="{timestamp}.{body}",
        tolerance=tolerance,
        delivery_id="header:x-id",
    )


@pytest.mark.parametrize(
    ("sent", "tolerance", "stale"),
    [
        (NOW, 300, False),
        (NOW - 300, 300, False),
        (NOW - 301, 300, True),
        (NOW + 300, 300, False),
        (NOW + 301, 300, True),
        (NOW - 86_400, 0, False),
        (NOW + 86_400, 0, False),
    ],
)
def test_timestamp_window(sent: float, tolerance: float, stale: bool) -> None:
    body = b'{"type":"t"}'
    stamp = str(int(sent))
    request = post(body, {"x-timestamp": stamp, "x-signature": hmac_hex(stamp.encode() + b"." + body)})
    provider = stamped(tolerance)
    if not stale:
        assert delivered(provider, request).sent_at == sent
        return
    with pytest.raises(StaleTimestamp) as info:
        receive(provider, request, endpoint="/o", now=NOW)
    assert info.value.skew == NOW - sent and info.value.reason == "stale_timestamp"


@pytest.mark.parametrize(
    ("stamp", "reason"), [(None, "missing_timestamp"), ("", "missing_timestamp"), ("soon", "bad_timestamp")]
)
def test_bad_timestamp_headers(stamp: str | None, reason: str) -> None:
    body = b'{"type":"t"}'
    headers = {"x-signature": hmac_hex(f"{stamp}.".encode() + body)}
    if stamp is not None:
        headers["x-timestamp"] = stamp
    with pytest.raises(SignatureError) as info:
        receive(stamped(), post(body, headers), endpoint="/o", now=NOW)
    assert info.value.reason == reason


def test_forged_timestamp_breaks_the_signature() -> None:
    body = b'{"type":"t"}'
    signature = hmac_hex(b"1699999000." + body)  # signed long ago, replayed with a fresh stamp
    request = post(body, {"x-timestamp": str(int(NOW)), "x-signature": signature})
    with pytest.raises(SignatureError) as info:
        receive(stamped(), request, endpoint="/o", now=NOW)
    assert info.value.reason == "bad_signature"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{body}", b'{"type":"t"}'),
        ("{timestamp}.{body}", b'1700000000.{"type":"t"}'),
        ("{id}.{timestamp}.{body}", b'msg_1.1700000000.{"type":"t"}'),
        ("v0:{timestamp}:{body}", b'v0:1700000000:{"type":"t"}'),
        ("{url}{body}", URL.encode() + b'{"type":"t"}'),
        ("{method}&{url}&{timestamp}", b"POST&" + URL.encode() + b"&1700000000"),
    ],
)
def test_signed_content_templates(template: str, message: bytes) -> None:
    stamped = "{timestamp}" in template  # a timestamp header must be signed to be checked
    provider = Generic(
        secret=SECRET,
        signed_content=template,
        timestamp_header="x-ts" if stamped else None,
        delivery_id="header:x-msg-id",
    )
    headers = {"x-ts": "1700000000", "x-msg-id": "msg_1", "x-signature": hmac_hex(message)}
    delivery = delivered(provider, post(b'{"type":"t"}', headers))
    assert delivery.delivery_id == "msg_1"
    signed = provider.sign({"type": "t"}, topic="t", delivery_id="msg_1", timestamp=NOW, url=URL)
    assert signed.header("x-signature") == hmac_hex(message)


@pytest.mark.parametrize(("change", "value"), [("x-msg-id", "msg_2"), ("x-ts", "1700000001")])
def test_every_templated_part_is_covered(change: str, value: str) -> None:
    provider = Generic(
        secret=SECRET,
        signed_content="{id}.{timestamp}.{body}",
        timestamp_header="x-ts",
        delivery_id="header:x-msg-id",
    )
    request = provider.sign({"type": "t"}, topic="t", delivery_id="msg_1", timestamp=NOW, url=URL)
    tampered = dataclasses.replace(request, headers={**request.headers, change: value})
    with pytest.raises(SignatureError):
        receive(provider, tampered, endpoint="/o", now=NOW)


def test_url_template_covers_the_url() -> None:
    provider = Generic(secret=SECRET, signed_content="{url}{body}")
    request = provider.sign({"type": "t"}, topic="t", timestamp=NOW, url=URL)
    assert delivered(provider, request).topic == "t"
    moved = dataclasses.replace(request, url=URL + "/other")
    with pytest.raises(SignatureError):
        receive(provider, moved, endpoint="/o", now=NOW)


def test_query_sourced_id_in_template_is_signed() -> None:
    provider = Generic(secret=SECRET, signed_content="{id}.{body}", delivery_id="query:id")
    request = provider.sign({"type": "t"}, topic="t", delivery_id="q-1", timestamp=NOW, url=URL)
    assert request.query == {"id": "q-1"}
    assert delivered(provider, request).delivery_id == "q-1"
    assert request.header("x-signature") == hmac_hex(b"q-1." + request.body)


# -- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {},  # no secret and not unsigned
        {"secret": SECRET, "unsigned": True},
        {"secret": ""},
        {"secret": []},
        {"secret": SECRET, "algorithm": "md5"},
        {"secret": SECRET, "encoding": "base32"},
        {"secret": SECRET, "signed_content": "{timestamp}.{body}"},  # no timestamp header
        {"secret": SECRET, "signed_content": "{id}.{body}"},  # no delivery id source
        {"secret": SECRET, "signed_content": "{timestmp}.{body}", "timestamp_header": "x-ts"},  # typo
        {"secret": SECRET, "signed_content": "{id}.{body}", "delivery_id": "body:id"},  # id read after verify
        {"secret": SECRET, "topic": "nowhere"},
    ],
)
def test_configuration_errors(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        Generic(**options)


def test_repr_hides_the_secret() -> None:
    provider = Generic(
        secret=["first-hidden", b"second-hidden"], topic="body:event", delivery_id="header:x-id"
    )
    for text in (repr(provider), str(provider)):
        assert "hidden" not in text
        assert "body:event" in text and "header:x-id" in text


def test_unsigned_mode_accepts_without_a_signature() -> None:
    provider = Generic(unsigned=True, delivery_id="header:x-id", timestamp_header="x-ts")
    assert provider.unsigned is True
    request = post(b'{"type":"t"}', {"x-id": "1", "x-ts": "not-a-number"})
    delivery = delivered(provider, request)
    assert (delivery.topic, delivery.delivery_id) == ("t", "1")
    assert delivery.secret_index is None and delivery.sent_at is None
    signed = provider.sign({"type": "t"}, topic="t", delivery_id="2", timestamp=NOW, url=URL)
    assert "x-signature" not in signed.headers
    assert delivered(provider, signed).delivery_id == "2"


@pytest.mark.parametrize(
    ("methods", "method", "allowed"),
    [
        (("POST",), "POST", True),
        (("POST",), "GET", False),
        (("get",), "GET", True),
        (("get",), "POST", False),
        (("GET", "POST"), "GET", True),
        (("GET", "POST"), "POST", True),
        (("GET", "POST"), "PUT", False),
    ],
)
def test_methods(methods: tuple[str, ...], method: str, allowed: bool) -> None:
    provider = Generic(secret=SECRET, methods=methods, topic="query:event", delivery_id="query:id")
    body = b"" if method == "GET" else b'{"a":1}'
    url = URL + "?event=ping&id=7"
    # An endpoint that takes GET signs method and URL (test_generic_options.py); one without, the body.
    message = f"{method} {url}\n".encode() + body if "GET" in provider.methods else body
    request = post(body, {"x-signature": hmac_hex(message)}, url=url, method=method)
    if not allowed:
        with pytest.raises(MethodNotAllowed):
            receive(provider, request, endpoint="/o", now=NOW)
        return
    delivery = delivered(provider, request)
    assert (delivery.topic, delivery.delivery_id, delivery.method) == ("ping", "7", method)
    if method == "GET":
        assert delivery.payload == {"event": "ping", "id": "7"}


# -- sign() -> receive() round trips -------------------------------------------------------

CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "header_ids": {"topic": "header:x-event", "delivery_id": "header:x-request-id"},
    "query_ids": {"topic": "query:event", "delivery_id": "query:id"},
    "body_ids": {"topic": "body:meta.event", "delivery_id": "body:meta.id"},
    "const_topic": {"topic": "const:fixed.topic", "delivery_id": "header:x-id"},
    "github_like": {
        "signature_header": "X-Hub-Signature-256",
        "prefix": "sha256=",
        "topic": "header:x-gh-event",
        "delivery_id": "header:x-gh-delivery",
    },
    "sha1_base64": {"algorithm": "sha1", "encoding": "base64"},
    "sha512_hex": {"algorithm": "sha512"},
    "stamped": {"timestamp_header": "x-ts", "signed_content": "{timestamp}.{body}"},
    "standard_like": {
        "timestamp_header": "webhook-timestamp",
        "delivery_id": "header:webhook-id",
        "signed_content": "{id}.{timestamp}.{body}",
        "encoding": "base64",
        "prefix": "v1,",
    },
    "url_signed": {"signed_content": "{method}:{url}:{body}"},
    "rotated": {"secret": ["new-one", "old-one"]},
    "get_and_post": {"methods": ("GET", "POST")},
    "get_only": {"methods": ("GET",), "topic": "query:event", "delivery_id": "query:id"},
    "unsigned": {"unsigned": True, "secret": None},
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)
payloads = st.dictionaries(
    st.text(min_size=1, max_size=8).filter(lambda k: k not in ("meta", "type")), json_values, max_size=5
)
topics = st.from_regex(r"[a-z][a-z0-9_]{0,8}(\.[a-z0-9_]{1,8}){0,3}", fullmatch=True)
ids = st.from_regex(r"[A-Za-z0-9_-]{1,24}", fullmatch=True)


@pytest.mark.parametrize("name", CONFIGURATIONS)
@settings(max_examples=60)
@given(payload=payloads, topic=topics, delivery_id=ids, data=st.data())
def test_sign_receive_round_trip(
    name: str, payload: dict[str, Any], topic: str, delivery_id: str, data: st.DataObject
) -> None:
    options: dict[str, Any] = {"secret": SECRET, **CONFIGURATIONS[name]}
    if options.get("secret") is None:
        options.pop("secret")
    provider = Generic(**options)
    secrets = options.get("secret")
    index = data.draw(st.integers(0, len(secrets) - 1)) if isinstance(secrets, list) else 0
    sent = data.draw(st.integers(int(NOW) - 300, int(NOW) + 300))
    request = provider.sign(
        payload, topic=topic, delivery_id=delivery_id, timestamp=sent, url=URL, secret_index=index
    )
    delivery = delivered(provider, request)
    assert delivery.topic == ("fixed.topic" if name == "const_topic" else topic)
    if provider.delivery_id is not None:
        assert (delivery.delivery_id, delivery.id_source) == (delivery_id, "provider")
    else:
        assert delivery.id_source == "body_hash"
    assert delivery.secret_index == (None if name == "unsigned" else index)
    if request.method == "GET":  # the payload's fields travel in the query (sources may overwrite)
        placed = {"event", "id"}
        assert {k: request.query[k] for k in payload if k not in placed} == {
            k: v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
            for k, v in payload.items()
            if k not in placed
        }
    else:
        decoded = json.loads(request.body)
        assert {k: decoded[k] for k in payload} == payload
    if provider.unsigned:
        return
    if not request.body:  # GET: a field added to the query fails verification
        with pytest.raises(SignatureError):
            provider.verify(dataclasses.replace(request, url=request.url + "&x=1"), now=float(sent))
        return
    # Any flipped body byte fails verification.
    position = data.draw(st.integers(0, len(request.body) - 1))
    tampered = bytearray(request.body)
    tampered[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(SignatureError):
        provider.verify(dataclasses.replace(request, body=bytes(tampered)), now=float(sent))
