"""Delivery, HttpRequest and Reply values; the body-hash dedupe id."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hookreceiver.core.delivery import Delivery, HttpRequest, Reply, body_hash_id, delivery_key, endpoint_path
from hookreceiver.exceptions import UnsupportedContentType

BODY = b'{"type":"order.created","card":"4242-SECRET-BODY"}'


def make(**changes: Any) -> Delivery[Any]:
    values: dict[str, Any] = {
        "endpoint": "/orders",
        "provider": "generic",
        "topic": "order.created",
        "delivery_id": "d-1",
        "payload": {"type": "order.created"},
        "body": BODY,
        "url": "https://example.com/orders?shop=a&x=1",
        "headers": {"x-signature": "sig-value-should-not-show", "x-gitlab-token": "tok-should-not-show"},
    }
    values.update(changes)
    return Delivery(**values)


@pytest.mark.parametrize(
    ("endpoint", "delivery_id", "key"),
    [
        ("/orders", "d-1", "/orders:d-1"),
        ("/gh", "72d3162e", "/gh:72d3162e"),
        ("/a", "sha256:ab", "/a:sha256:ab"),
    ],
)
def test_key_is_endpoint_and_delivery_id(endpoint: str, delivery_id: str, key: str) -> None:
    assert make(endpoint=endpoint, delivery_id=delivery_id).key == key


@pytest.mark.parametrize(
    ("topic", "aliases", "topics"),
    [
        ("order.created", (), ("order.created",)),
        ("pull_request.opened", ("pull_request",), ("pull_request.opened", "pull_request")),
        ("a.b.c", ("a.b", "a"), ("a.b.c", "a.b", "a")),
    ],
)
def test_topics_are_topic_then_aliases(topic: str, aliases: tuple[str, ...], topics: tuple[str, ...]) -> None:
    assert make(topic=topic, aliases=aliases).topics == topics


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("https://example.com/orders?shop=a&x=1", {"shop": "a", "x": "1"}),
        ("https://example.com/orders", {}),
        ("/wechat?signature=s&echostr=&x=1&x=2", {"signature": "s", "echostr": "", "x": "2"}),
        ("/p?a=%20b+c", {"a": " b c"}),
    ],
)
def test_query_comes_from_the_url(url: str, query: dict[str, str]) -> None:
    assert make(url=url).query == query


def test_with_attempt_returns_a_new_value() -> None:
    first = make()
    second = first.with_attempt(3)
    assert (first.attempt, second.attempt) == (1, 3)
    assert dataclasses.replace(second, attempt=1) == first
    assert second.key == first.key and second.body == first.body


def test_with_attempt_of_the_same_attempt_is_the_delivery_itself() -> None:
    first = make()
    assert first.with_attempt(1) is first
    third = first.with_attempt(3)
    assert third.with_attempt(3) is third
    assert third.with_attempt(1) is not first and third.with_attempt(1) == first


def test_delivery_is_frozen() -> None:
    delivery = make()
    with pytest.raises(dataclasses.FrozenInstanceError):
        delivery.topic = "other"  # type: ignore[misc]


def test_headers_and_meta_are_read_only_and_not_shared_with_the_caller() -> None:
    headers = {"x-request-id": "d-1"}
    delivery = make(headers=headers, meta={"action": "opened"})
    headers["x-request-id"] = "changed-later"
    assert delivery.headers["x-request-id"] == "d-1"
    with pytest.raises(TypeError):
        delivery.headers["x-request-id"] = "other"  # type: ignore[index]
    with pytest.raises(TypeError):
        delivery.meta["action"] = "closed"  # type: ignore[index]
    assert delivery.with_attempt(2).meta == {"action": "opened"}


def test_read_only_mappings_keep_equality_and_codec_round_trips() -> None:
    from hookreceiver.stores.codec import dump_delivery, load_delivery

    delivery = make(meta={"a": "1"})
    assert delivery == make(meta={"a": "1"}) and delivery != make(meta={"a": "2"})
    assert load_delivery(dump_delivery(delivery)) == delivery
    assert json.loads(dump_delivery(delivery))["meta"] == {"a": "1"}


def test_delivery_repr_hides_body_and_headers() -> None:
    text = repr(make())
    assert "4242-SECRET-BODY" not in text
    assert "sig-value-should-not-show" not in text and "tok-should-not-show" not in text
    assert "order.created" in text and "d-1" in text


def test_http_request_repr_hides_body_and_headers() -> None:
    request = HttpRequest(
        "POST", "https://example.com/gl", "/gl", {"x-gitlab-token": "tok-should-not-show"}, "a=1", BODY
    )
    text = repr(request)
    assert "tok-should-not-show" not in text and "4242-SECRET-BODY" not in text
    assert "/gl" in text


@pytest.mark.parametrize(
    ("headers", "name", "value"),
    [
        ({"x-signature": "abc"}, "X-Signature", "abc"),
        ({"x-signature": "abc"}, "x-signature", "abc"),
        ({}, "X-Signature", None),
    ],
)
def test_http_request_header_lookup(headers: dict[str, str], name: str, value: str | None) -> None:
    assert HttpRequest("POST", "/", "/", headers).header(name) == value


def test_http_request_query_and_content_type() -> None:
    request = HttpRequest("GET", "/x?a=1&a=2&b=", "/x", {"content-type": "text/xml"}, "a=1&a=2&b=")
    assert request.query == {"a": "2", "b": ""}
    assert request.content_type == "text/xml"
    assert HttpRequest("GET", "/", "/", {}).content_type == ""


@pytest.mark.parametrize(
    ("reply", "body", "content_type"),
    [
        (Reply.text("success"), b"success", "text/plain; charset=utf-8"),
        (Reply.text("中"), "中".encode(), "text/plain; charset=utf-8"),
        (Reply.xml("<xml/>"), b"<xml/>", "text/xml; charset=utf-8"),
        (Reply.json({"challenge": "c"}), b'{"challenge":"c"}', "application/json"),
        (Reply(), b"", "text/plain; charset=utf-8"),
    ],
)
def test_reply_constructors(reply: Reply, body: bytes, content_type: str) -> None:
    assert (reply.body, reply.status, reply.content_type) == (body, 200, content_type)


def test_reply_status() -> None:
    assert Reply.json({"type": 1}, status=202).status == 202
    assert json.loads(Reply.json([1, "a"]).body) == [1, "a"]


# -- body_hash_id --------------------------------------------------------------------------


def test_body_hash_id_shape_and_stability() -> None:
    first = body_hash_id(BODY, "order.created")
    assert first == body_hash_id(bytes(BODY), "order.created")
    prefix, _, digest = first.partition(":")
    assert prefix == "sha256" and len(digest) == 40
    int(digest, 16)
    # Not the bare hash of the body: the topic takes part.
    assert digest != hashlib.sha256(BODY).hexdigest()[:40]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((BODY, "order.created"), (BODY, "order.updated")),
        ((BODY, "order.created"), (BODY + b" ", "order.created")),
        ((b"", "a"), (b"", "b")),
        ((b"b\nc", "a"), (b"c", "a\nb")),  # no ambiguity between topic and body
        ((b"1:ab", "x"), (b"ab", "x1:")),
    ],
)
def test_body_hash_id_differs(a: tuple[bytes, str], b: tuple[bytes, str]) -> None:
    assert body_hash_id(*a) != body_hash_id(*b)


@given(
    body=st.binary(max_size=256),
    topic=st.text(max_size=30),
    body2=st.binary(max_size=256),
    topic2=st.text(max_size=30),
)
def test_body_hash_id_is_injective_in_practice(body: bytes, topic: str, body2: bytes, topic2: str) -> None:
    same = (body, topic) == (body2, topic2)
    assert (body_hash_id(body, topic) == body_hash_id(body2, topic2)) is same


def test_form_pairs_keep_order_and_repeats_and_use_the_charset() -> None:
    body = b"b=%E9&a=1&a=2"
    request = HttpRequest(
        "POST",
        "http://h/",
        "/",
        {"content-type": "application/x-www-form-urlencoded; charset=latin-1"},
        "",
        body,
    )
    assert request.form_pairs == (("b", "\u00e9"), ("a", "1"), ("a", "2"))
    assert request.form_pairs is request.form_pairs  # parsed once


def test_form_pairs_with_an_unknown_charset_is_refused() -> None:
    request = HttpRequest(
        "POST",
        "http://h/",
        "/",
        {"content-type": "application/x-www-form-urlencoded; charset=nope"},
        "",
        b"a=1",
    )
    with pytest.raises(UnsupportedContentType) as info:
        _ = request.form_pairs
    assert info.value.reason == "unsupported_charset"


@pytest.mark.parametrize(
    ("url", "query", "full_url", "path", "query_string"),
    [
        ("https://h.example/hooks", {}, "https://h.example/hooks", "/hooks", ""),
        ("https://h.example/hooks?a=1", {}, "https://h.example/hooks?a=1", "/hooks", "a=1"),
        ("https://h.example", {"b": "x y"}, "https://h.example?b=x+y", "/", "b=x+y"),
        (
            "https://h.example/p?a=1",
            [("b", "2"), ("b", "3")],
            "https://h.example/p?a=1&b=2&b=3",
            "/p",
            "a=1&b=2&b=3",
        ),
    ],
)
def test_outgoing_request_appends_query_and_reads_the_path(
    url: str,
    query: dict[str, str] | list[tuple[str, str]],
    full_url: str,
    path: str,
    query_string: str,
) -> None:
    request = HttpRequest.outgoing("POST", url, {"content-type": "text/xml"}, b"<xml/>", query=query)
    assert (request.method, request.url, request.path) == ("POST", full_url, path)
    assert (request.query_string, request.body, request.content_type) == (query_string, b"<xml/>", "text/xml")


@pytest.mark.parametrize(
    ("path", "normal"), [("/", "/"), ("//", "/"), ("/a/", "/a"), ("/a", "/a"), ("/a//", "/a")]
)
def test_endpoint_path_drops_trailing_slashes(path: str, normal: str) -> None:
    assert endpoint_path(path) == normal


def test_the_delivery_key_is_the_one_function() -> None:
    sent = Delivery("/orders", "generic", "t", "id:1", None, b"")
    assert sent.key == delivery_key("/orders", "id:1") == "/orders:id:1"
