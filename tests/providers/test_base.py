"""providers/base.py: the receive() pipeline, BaseProvider defaults and lookup()."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, ClassVar

import pytest

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import Delivery, HttpRequest, Reply, body_hash_id
from hookreceiver.core.signing import Secrets, verify_hmac
from hookreceiver.exceptions import (
    MethodNotAllowed,
    PayloadError,
    SignatureError,
    UnsupportedContentType,
)
from hookreceiver.providers.base import (
    SECRET_HEADERS,
    BaseProvider,
    Identity,
    Provider,
    lookup,
    receive,
)
from hookreceiver.stores.codec import dump_delivery

NOW = 1_700_000_000.0
JSON = {"content-type": "application/json"}


class Sample(BaseProvider):
    """A small real provider: a shared-token header, topic and id from the JSON body.

    It records the order in which receive() calls it.
    """

    name: ClassVar[str] = "sample"

    def __init__(
        self,
        *,
        token: str = "tok",
        methods: frozenset[str] = frozenset({"POST"}),
        formats: frozenset[Format] = frozenset({"json", "form", "xml"}),
    ) -> None:
        self.token = token
        self.methods = methods
        self.formats = formats
        self.calls: list[str] = []

    def verify(self, request: HttpRequest, *, now: float) -> int | None:
        self.calls.append("verify")
        if request.header("x-token") != self.token:
            raise SignatureError("x-token does not match", reason="bad_token")
        return 0

    def decode(self, request: HttpRequest) -> Any:
        self.calls.append("decode")
        return super().decode(request)

    def handshake(self, request: HttpRequest, payload: Any) -> Reply | None:
        self.calls.append("handshake")
        if isinstance(payload, dict) and payload.get("type") == "url_verification":
            return Reply.text(str(payload.get("challenge", "")))
        return None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        self.calls.append("identify")
        topic = lookup(payload, "type")
        return Identity(
            topic=topic if isinstance(topic, str) else "",
            delivery_id=lookup(payload, "id"),
            aliases=tuple(lookup(payload, "aliases") or ()),
            sent_at=lookup(payload, "sent"),
            meta={"team": "t1"} if lookup(payload, "team") else {},
        )


def request(
    body: bytes = b'{"type":"order.created","id":"d1"}',
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    query: str = "",
) -> HttpRequest:
    all_headers = {"x-token": "tok", **JSON, **(headers or {})}
    url = "https://example.com/hooks" + (f"?{query}" if query else "")
    return HttpRequest(method, url, "/hooks", all_headers, query, body)


def test_sample_satisfies_the_protocol() -> None:
    assert isinstance(Sample(), Provider)


def test_receive_builds_a_delivery() -> None:
    body = b'{"type":"pull_request.opened","id":"d1","aliases":["pull_request"],"sent":1699999990,"team":1}'
    delivery = receive(Sample(), request(body, query="x=1"), endpoint="/gh", now=NOW)
    assert isinstance(delivery, Delivery)
    assert (delivery.endpoint, delivery.provider, delivery.topic) == ("/gh", "sample", "pull_request.opened")
    assert (delivery.delivery_id, delivery.id_source, delivery.key) == ("d1", "provider", "/gh:d1")
    assert delivery.topics == ("pull_request.opened", "pull_request")
    assert delivery.body == body and delivery.payload["id"] == "d1"
    assert (delivery.received_at, delivery.sent_at, delivery.secret_index) == (NOW, 1699999990, 0)
    assert delivery.meta == {"team": "t1"}
    assert delivery.url == "https://example.com/hooks?x=1" and delivery.query == {"x": "1"}
    assert delivery.content_type == "application/json" and delivery.headers["x-token"] == "tok"
    assert delivery.method == "POST" and delivery.attempt == 1


def test_pipeline_order() -> None:
    provider = Sample()
    receive(provider, request(), endpoint="/e", now=NOW)
    assert provider.calls == ["verify", "decode", "handshake", "identify"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD"])
def test_method_not_allowed_before_anything_else(method: str) -> None:
    provider = Sample()
    with pytest.raises(MethodNotAllowed) as info:
        receive(provider, request(method=method, headers={"x-token": "wrong"}), endpoint="/e", now=NOW)
    assert info.value.status_hint == 405 and info.value.reason == "method_not_allowed"
    assert provider.calls == []


def test_signature_is_checked_before_the_body_is_decoded() -> None:
    provider = Sample()
    with pytest.raises(SignatureError) as info:
        receive(provider, request(b"not json", headers={"x-token": "nope"}), endpoint="/e", now=NOW)
    assert info.value.reason == "bad_token"
    assert provider.calls == ["verify"]


@pytest.mark.parametrize(
    ("body", "content_type", "error", "reason"),
    [
        (b"{broken", "application/json", PayloadError, "undecodable_payload"),
        (b"", "application/json", PayloadError, "undecodable_payload"),
        (b"{}", "text/plain", UnsupportedContentType, "unsupported_content_type"),
        (b'{"id":"d1"}', "application/json", PayloadError, "missing_topic"),
        (b'{"type":"","id":"d1"}', "application/json", PayloadError, "missing_topic"),
        (b'{"type":7,"id":"d1"}', "application/json", PayloadError, "missing_topic"),
        (b"[1,2]", "application/json", PayloadError, "missing_topic"),
    ],
)
def test_payload_failures(body: bytes, content_type: str, error: type[Exception], reason: str) -> None:
    with pytest.raises(error) as info:
        receive(Sample(), request(body, headers={"content-type": content_type}), endpoint="/e", now=NOW)
    assert getattr(info.value, "reason", None) == reason


def test_formats_limit_what_an_endpoint_accepts() -> None:
    provider = Sample(formats=frozenset({"xml"}))
    with pytest.raises(UnsupportedContentType):
        receive(provider, request(), endpoint="/e", now=NOW)
    xml = request(b"<xml><type>msg</type><id>9</id></xml>", headers={"content-type": "text/xml"})
    delivery = receive(provider, xml, endpoint="/e", now=NOW)
    assert isinstance(delivery, Delivery) and (delivery.topic, delivery.delivery_id) == ("msg", "9")


@pytest.mark.parametrize("missing_id", [b'{"type":"order.created"}', b'{"type":"order.created","id":""}'])
def test_body_hash_fallback_without_delivery_id(missing_id: bytes) -> None:
    first = receive(Sample(), request(missing_id), endpoint="/e", now=NOW)
    again = receive(Sample(), request(missing_id), endpoint="/e", now=NOW + 60)
    assert isinstance(first, Delivery) and isinstance(again, Delivery)
    assert first.id_source == "body_hash"
    assert first.delivery_id == body_hash_id(missing_id, "order.created")
    assert first.key == again.key  # a redelivery of identical content dedupes
    changed = receive(Sample(), request(missing_id + b" "), endpoint="/e", now=NOW)
    assert isinstance(changed, Delivery) and changed.delivery_id != first.delivery_id


def test_get_delivery_hashes_the_query_string() -> None:
    provider = Sample(methods=frozenset({"GET", "POST"}))
    first = receive(provider, request(b"", method="GET", query="type=ping&n=1"), endpoint="/e", now=NOW)
    same = receive(provider, request(b"", method="GET", query="type=ping&n=1"), endpoint="/e", now=NOW)
    other = receive(provider, request(b"", method="GET", query="type=ping&n=2"), endpoint="/e", now=NOW)
    assert isinstance(first, Delivery) and isinstance(same, Delivery) and isinstance(other, Delivery)
    assert first.payload == {"type": "ping", "n": "1"}
    assert first.id_source == "body_hash"
    assert first.delivery_id == body_hash_id(b"type=ping&n=1", "ping") == same.delivery_id
    assert other.delivery_id != first.delivery_id


@pytest.mark.parametrize("method", ["GET", "HEAD", "DELETE"])
def test_base_decode_uses_the_query_for_bodyless_requests(method: str) -> None:
    assert BaseProvider().decode(request(b"", method=method, query="a=1&b=")) == {"a": "1", "b": ""}


def test_base_peek_delivery_id_names_none_and_reads_nothing() -> None:
    provider = Sample()
    assert provider.peek_delivery_id(request(headers={"x-request-id": "r-1"})) is None
    assert provider.calls == []  # no verify, no decode: only for a rejection's log line


@pytest.mark.parametrize("method", ["GET", "HEAD", "DELETE"])
def test_base_decode_refuses_a_body_on_url_methods(method: str) -> None:
    # A URL-signed GET covers no body: decoding one would let a replayed URL carry any payload.
    with pytest.raises(PayloadError) as info:
        BaseProvider().decode(request(b'{"a":2}', method=method, query="a=1"))
    assert (info.value.reason, info.value.status_hint) == ("unexpected_body", 400)


def test_base_decode_reads_a_post_body_over_its_query() -> None:
    assert BaseProvider().decode(request(b'{"a":2}', query="a=1")) == {"a": 2}


def test_handshake_reply_short_circuits() -> None:
    provider = Sample()
    body = b'{"type":"url_verification","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}'
    reply = receive(provider, request(body), endpoint="/e", now=NOW)
    assert isinstance(reply, Reply)
    assert reply.body == b"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" and reply.status == 200
    assert provider.calls == ["verify", "decode", "handshake"]


def test_handshake_is_only_answered_after_verification() -> None:
    body = b'{"type":"url_verification","challenge":"c"}'
    with pytest.raises(SignatureError):
        receive(Sample(), request(body, headers={"x-token": "forged"}), endpoint="/e", now=NOW)


class Unsigned(BaseProvider):
    name: ClassVar[str] = "unsigned"
    unsigned = True

    def verify(self, request: HttpRequest, *, now: float) -> int | None:
        return None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        return Identity(topic="t")


def test_unsigned_provider_has_no_secret_index() -> None:
    form = request(b"a=1", headers={"content-type": "application/x-www-form-urlencoded"})
    delivery = receive(Unsigned(), form, endpoint="/u", now=NOW)
    assert isinstance(delivery, Delivery)
    assert delivery.secret_index is None and delivery.payload == {"a": "1"}
    assert delivery.id_source == "body_hash"


class Rotating(Sample):
    """Verifies an HMAC with several secrets and reports which one matched."""

    def verify(self, request: HttpRequest, *, now: float) -> int | None:
        return verify_hmac(request.body, request.header("x-sig"), secrets=Secrets(["new", "old"]))


def test_secret_index_reaches_the_delivery() -> None:
    body = b'{"type":"t","id":"1"}'
    sig = hmac.new(b"old", body, hashlib.sha256).hexdigest()
    delivery = receive(Rotating(), request(body, headers={"x-sig": sig}), endpoint="/e", now=NOW)
    assert isinstance(delivery, Delivery) and delivery.secret_index == 1


class TokenInHeader(Sample):
    secret_headers = frozenset({"x-token"})


def test_secret_headers_are_left_out_of_the_delivery() -> None:
    provider = TokenInHeader(token="s3cr3t-t0ken")
    sent = request(headers={"x-token": "s3cr3t-t0ken", "x-other": "kept"})
    delivery = receive(provider, sent, endpoint="/e", now=NOW)
    assert isinstance(delivery, Delivery) and delivery.secret_index == 0
    assert "x-token" not in delivery.headers and delivery.headers["x-other"] == "kept"
    assert b"s3cr3t-t0ken" not in dump_delivery(delivery)
    assert sent.headers["x-token"] == "s3cr3t-t0ken"  # the request itself is untouched


def test_credential_headers_are_left_out_for_every_provider() -> None:
    credentials = {
        "authorization": "Basic dXNlcjpodW50ZXIy",
        "proxy-authorization": "Bearer pr0xy",
        "cookie": "session=c00kie",
        "x-api-key": "sk_live_k3y",
    }
    for provider in (Sample(token="s3cr3t-t0ken"), TokenInHeader(token="s3cr3t-t0ken")):
        sent = request(headers={**credentials, "x-token": "s3cr3t-t0ken", "x-other": "kept"})
        delivery = receive(provider, sent, endpoint="/e", now=NOW)
        assert isinstance(delivery, Delivery)
        assert set(SECRET_HEADERS) == set(credentials)
        assert not set(credentials) & set(delivery.headers) and delivery.headers["x-other"] == "kept"
        stored = dump_delivery(delivery)
        assert not [v for v in credentials.values() if v.encode() in stored]


@pytest.mark.parametrize(
    ("payload", "path", "value"),
    [
        ({"data": {"object": {"id": "ch_1"}}}, "data.object.id", "ch_1"),
        ({"entry": [{"id": "a"}, {"id": "b"}]}, "entry.1.id", "b"),
        ({"entry": [{"id": "a"}]}, "entry.5.id", None),
        ({"entry": [{"id": "a"}]}, "entry.-1.id", None),
        ({"a": {"b": None}}, "a.b", None),
        ({"a": 1}, "a.b", None),
        ({"a.b": 1}, "a.b", None),
        ([{"x": 1}], "0.x", 1),
        ("text", "a", None),
        ({"n": 0}, "n", 0),
        ({"f": False}, "f", False),
    ],
)
def test_lookup(payload: Any, path: str, value: Any) -> None:
    assert lookup(payload, path) == value


def test_base_provider_defaults_complete_the_protocol() -> None:
    provider = Sample()
    req = request()
    assert provider.secret_headers == frozenset()
    assert provider.peek_delivery_id(req) is None
    delivery = receive(provider, req, endpoint="/x", now=NOW)
    assert isinstance(delivery, Delivery)
    assert provider.ack(delivery, None) is None
    assert provider.ack(delivery, Reply.text("ok")) == Reply.text("ok")
    with pytest.raises(NotImplementedError, match="sample provider cannot sign"):
        provider.sign({}, topic="t", timestamp=NOW, url="https://example.com/hooks")


def test_a_duck_typed_provider_without_the_optional_hooks_is_not_a_provider() -> None:
    class Partial:
        name = "partial"
        methods = frozenset({"POST"})
        unsigned = True

        def verify(self, request: HttpRequest, *, now: float) -> int | None:
            return None

        def decode(self, request: HttpRequest) -> Any:
            return {}

        def handshake(self, request: HttpRequest, payload: Any) -> Reply | None:
            return None

        def identify(self, request: HttpRequest, payload: Any) -> Identity:
            return Identity(topic="t")

    assert not isinstance(Partial(), Provider)
