"""Generic, continued: GET endpoints signed over the URL, option validation, the peeked delivery id.

A mirror of ``hookreceiver/providers/generic.py`` beside ``test_generic.py`` (sources, templates,
round trips).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from typing import Any

import pytest
from pydantic import SecretStr

from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.exceptions import ConfigurationError, SignatureError
from hookreceiver.providers import Generic, receive

NOW = 1_700_000_000.0
URL = "https://example.com/hooks/ping"
SECRET = "s3cret-value"


def get(url: str, headers: dict[str, str], method: str = "GET") -> HttpRequest:
    return HttpRequest(method, url, "/hooks/ping", headers, url.partition("?")[2], b"")


def hmac_hex(message: bytes) -> str:
    return hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()


def delivered(provider: Generic, request: HttpRequest) -> Delivery[Any]:
    result = receive(provider, request, endpoint="/ping", now=NOW)
    assert isinstance(result, Delivery)
    return result


def get_only(**options: Any) -> Generic:
    return Generic(secret=SECRET, methods=("GET",), topic="query:event", delivery_id="query:id", **options)


# -- a signature over a GET covers its query ------------------------------------------------


@pytest.mark.parametrize(
    "methods", [("GET",), ("GET", "POST"), ("post", "get"), ("HEAD",), ("DELETE", "POST")]
)
def test_endpoints_taking_url_methods_sign_method_and_url_by_default(methods: tuple[str, ...]) -> None:
    provider = Generic(secret=SECRET, methods=methods)
    assert provider.signed_content == "{method} {url}\n{body}"


@pytest.mark.parametrize(
    "options", [{}, {"methods": ("POST",)}, {"methods": ("GET",), "unsigned": True, "secret": None}]
)
def test_body_only_signing_stays_the_default_elsewhere(options: dict[str, Any]) -> None:
    provider = Generic(**{"secret": SECRET, **options})
    assert provider.signed_content == "{body}"


def test_a_captured_get_signature_does_not_fit_another_query() -> None:
    provider = get_only()
    captured = provider.sign({"amount": "5"}, topic="ping", delivery_id="7", timestamp=NOW, url=URL)
    assert captured.method == "GET" and captured.body == b""
    assert captured.query == {"amount": "5", "event": "ping", "id": "7"}
    assert delivered(provider, captured).payload == {"amount": "5", "event": "ping", "id": "7"}
    signature = captured.headers["x-signature"]
    for query in ("event=order.deleted&id=8&amount=5", "amount=500&event=ping&id=7", "event=ping&id=7", ""):
        forged = get(f"{URL}?{query}" if query else URL, {"x-signature": signature})
        with pytest.raises(SignatureError) as info:
            receive(provider, forged, endpoint="/ping", now=NOW)
        assert info.value.reason == "bad_signature"


def test_the_default_get_message_is_method_url_newline_body() -> None:
    url = f"{URL}?event=ping&id=7"
    request = get(url, {"x-signature": hmac_hex(f"GET {url}\n".encode())})
    assert (delivered(get_only(), request).topic, delivered(get_only(), request).delivery_id) == ("ping", "7")
    as_delete = dataclasses.replace(request, method="DELETE")  # same URL, another method
    with pytest.raises(SignatureError):
        receive(
            Generic(secret=SECRET, methods=("GET", "DELETE"), topic="query:event"),
            as_delete,
            endpoint="/ping",
            now=NOW,
        )


def test_get_and_post_endpoint_signs_both_over_the_url() -> None:
    provider = Generic(secret=SECRET, methods=("GET", "POST"), delivery_id="header:x-id")
    posted = provider.sign({"n": 1}, topic="t", delivery_id="p-1", timestamp=NOW, url=URL)
    assert posted.method == "POST" and posted.header("x-signature") == hmac_hex(
        f"POST {URL}\n".encode() + posted.body
    )
    assert delivered(provider, posted).payload == {"n": 1, "type": "t"}
    moved = dataclasses.replace(posted, url=URL + "?extra=1", query_string="extra=1")
    with pytest.raises(SignatureError):
        receive(provider, moved, endpoint="/ping", now=NOW)


def test_get_payload_values_travel_as_strings_or_json_text() -> None:
    request = get_only().sign(
        {"s": "text", "n": 1, "ok": True, "list": [1, "a"], "none": None},
        topic="ping",
        delivery_id="1",
        timestamp=NOW,
        url=URL + "?fixed=yes",
    )
    assert request.query == {
        "fixed": "yes",
        "s": "text",
        "n": "1",
        "ok": "true",
        "list": '[1,"a"]',
        "none": "null",
        "event": "ping",
        "id": "1",
    }
    assert delivered(get_only(), request).delivery_id == "1"
    with pytest.raises(ValueError, match="query"):
        get_only().sign([1, 2], topic="ping", timestamp=NOW, url=URL)


@pytest.mark.parametrize("template", ["{body}", "{timestamp}.{body}", "{method}:{body}"])
@pytest.mark.parametrize("methods", [("GET",), ("POST", "GET"), ("HEAD",), ("DELETE",)])
def test_a_url_method_with_a_template_without_url_is_refused(template: str, methods: tuple[str, ...]) -> None:
    with pytest.raises(ConfigurationError, match="must include {url}"):
        Generic(secret=SECRET, methods=methods, signed_content=template, timestamp_header="x-ts")


def test_a_template_with_url_is_accepted_for_get() -> None:
    provider = get_only(signed_content="{timestamp}.{url}", timestamp_header="x-ts")
    request = provider.sign({}, topic="ping", delivery_id="1", timestamp=NOW, url=URL)
    assert request.header("x-signature") == hmac_hex(f"{int(NOW)}.{request.url}".encode())
    assert delivered(provider, request).topic == "ping"


# -- options are checked when the provider is built -----------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"methods": "GET"}, "collection"),
        ({"methods": "POST"}, "collection"),
        ({"methods": b"GET"}, "collection"),
        ({"methods": ()}, "method names"),
        ({"methods": ("GET", "PO ST")}, "method names"),
        ({"methods": ("GET", 1)}, "strings"),
        ({"formats": "json"}, "collection"),
        ({"formats": ("json", "yaml")}, "unknown formats"),
        ({"formats": ("JSON",)}, "unknown formats"),
        ({"formats": 3}, "collection"),
        ({"secret": 123}, "str or bytes"),
        ({"secret": [SECRET, None]}, "str or bytes"),
    ],
)
def test_option_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Generic(**{"secret": SECRET, **options})


def test_a_pydantic_secret_is_accepted() -> None:
    provider = Generic(secret=SecretStr(SECRET))
    request = provider.sign({"type": "t"}, topic="t", timestamp=NOW, url=URL)
    assert request.header("x-signature") == hmac_hex(request.body)
    assert SECRET not in repr(provider)


@pytest.mark.parametrize("tolerance", [0, -1.0])
def test_tolerance_zero_or_less_turns_the_time_check_off(tolerance: float) -> None:
    provider = Generic(
        secret=SECRET, timestamp_header="x-ts", signed_content="{timestamp}.{body}", tolerance=tolerance
    )
    ancient = provider.sign({"type": "t"}, topic="t", timestamp=NOW - 10 * 365 * 86_400, url=URL)
    assert delivered(provider, ancient).sent_at == int(NOW - 10 * 365 * 86_400)


def test_sent_at_source() -> None:
    provider = Generic(unsigned=True, sent_at="body:created")
    for body, sent_at in (
        (b'{"type":"t","created":1699999999}', 1699999999.0),
        (b'{"type":"t","created":"yesterday"}', None),
    ):
        request = HttpRequest("POST", URL, "/p", {"content-type": "application/json"}, "", body)
        assert delivered(provider, request).sent_at == sent_at


# -- the delivery id a rejection may log -------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "request_", "peeked"),
    [
        ("header:x-request-id", get(URL, {"x-request-id": "r-1"}), "r-1"),
        ("header:x-request-id", get(URL, {}), None),
        ("query:id", get(URL + "?id=q-9&event=e", {}), "q-9"),
        ("query:id", get(URL + "?id=", {}), None),
        ("body:id", HttpRequest("POST", URL, "/p", {}, "", b'{"id":"from-body"}'), None),  # not trusted
        ("const:fixed", get(URL, {}), None),
        (None, get(URL, {"x-request-id": "r-1"}), None),
    ],
)
def test_peek_delivery_id(source: str | None, request_: HttpRequest, peeked: str | None) -> None:
    provider = Generic(unsigned=True, delivery_id=source)
    assert provider.peek_delivery_id(request_) == peeked
