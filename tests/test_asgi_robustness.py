"""The ASGI app under hostile input: nothing posted yields a 5xx, and odd text cannot break the ack.

A mirror of ``hookreceiver/asgi/`` beside ``test_asgi.py`` (the status policy): arbitrary
requests, lone surrogates and charsets over ``httpx.ASGITransport``, and a bug of our own.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hookreceiver import HookReceiver, HttpRequest, MemoryStore, Settings
from hookreceiver.exceptions import SignatureError
from hookreceiver.providers import BaseProvider, Identity
from tests.helpers import BASE_URL, NOW, asgi_client, generic, make_receiver, signed_headers
from tests.test_asgi import noop

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# -- nothing posted yields a 5xx ---------------------------------------------------------------

header_names = st.sampled_from(
    [
        "content-type",
        "x-signature",
        "x-request-id",
        "content-encoding",
        "x-timestamp",
        "host",
        "x-forwarded-host",
        "x-other",
    ]
)
header_values = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40) | st.binary(
    max_size=40
).filter(lambda raw: not any(c in raw for c in b"\r\n\x00"))


# JSON-ish bodies full of escapes, lone surrogates among them, which usually decode.
escaped_json = st.lists(
    st.sampled_from(
        [
            b'{"type":"',
            b'"}',
            b"order",
            b".",
            b"\\ud800",
            b"\\uDBFF",
            b"\\udc00",
            b"\\ud83d\\ude00",
            b"\\u00e9",
            b'","id":"',
        ]
    ),
    max_size=12,
).map(lambda parts: b'{"type":"order.' + b"".join(parts) + b'"}')


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.binary(max_size=600) | escaped_json,
    headers=st.dictionaries(header_names, header_values, max_size=6),
    sign_it=st.booleans(),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "text/xml",
            "application/xml; charset=gbk",
            "text/plain",
            "text/xml; charset=iso-8859-1",
            "application/json; charset=utf-7",
            "application/json; charset=nope",
            "",
        ]
    ),
    method=st.sampled_from(["POST", "GET", "PUT", "DELETE", "PATCH"]),
    path=st.sampled_from(["/orders", "/orders/", "/", "/other", "/orders/x"]),
)
async def test_arbitrary_requests_never_give_5xx(
    body: bytes,
    headers: dict[str, str | bytes],
    sign_it: bool,
    content_type: str,
    method: str,
    path: str,
) -> None:
    receiver, endpoint = make_receiver(
        max_body_size=512,
        provider={"timestamp_header": "x-timestamp", "signed_content": "{timestamp}.{body}"},
    )
    endpoint.on("*")(noop)
    sent: dict[str, str | bytes] = {"content-type": content_type, **headers}
    if sign_it:
        stamp = str(int(NOW))
        sent.update(
            {
                k: v
                for k, v in signed_headers(f"{stamp}.".encode() + body, content_type).items()
                if k not in ("content-type",)
            }
        )
        sent["x-timestamp"] = stamp
    async with asgi_client(receiver) as client:
        raw = [(k.encode(), v if isinstance(v, bytes) else v.encode()) for k, v in sent.items()]
        response = await client.request(method, path, content=body, headers=raw)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert set(response.json()) == {"error", "detail"}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=escaped_json,
    content_type=st.sampled_from(
        ["application/json", "application/json; charset=utf-8", "application/vnd.api+json"]
    ),
)
async def test_signed_json_with_any_escapes_never_gives_5xx(body: bytes, content_type: str) -> None:
    receiver, endpoint = make_receiver()
    endpoint.on("*")(noop)
    async with asgi_client(receiver) as client:
        response = await client.post("/orders", content=body, headers=signed_headers(body, content_type))
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["error"] == "undecodable_payload"
        assert await receiver.store.state("/orders:d-1") is None


class _BrokenProvider(BaseProvider):
    """A provider with a bug: it fails on every request after verifying nothing."""

    name = "broken"

    def verify(self, request: HttpRequest, *, now: float) -> int | None:
        return None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        raise RuntimeError("bug in a provider")


async def test_a_bug_in_our_code_is_a_500_with_a_json_body_so_the_sender_retries(
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver = HookReceiver(store=MemoryStore(), settings=Settings(), run_worker=False)
    receiver.endpoint("/broken", _BrokenProvider())
    async with asgi_client(receiver) as client:
        response = await client.post("/broken", content=b"{}", headers={"content-type": "application/json"})
    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
    assert "bug in a provider" in caplog.text and "endpoint=/broken" in caplog.text


@pytest.mark.parametrize(
    "body",
    [b'{"type":"order.\\ud800"}', b'{"type":"order.created","\\udc00":1}', b'{"type":"\\uDBFF\\uDBFF"}'],
)
async def test_a_lone_surrogate_is_a_400_and_nothing_is_stored(body: bytes) -> None:
    receiver, endpoint = make_receiver()
    endpoint.on("*")(noop)
    async with asgi_client(receiver) as client:
        response = await client.post("/orders", content=body, headers=signed_headers(body))
    assert response.status_code == 400 and response.json()["error"] == "undecodable_payload"
    assert await receiver.store.state("/orders:d-1") is None


class _OddTextProvider(BaseProvider):
    """A provider that names a topic and id no encoder accepts (a provider's bug, not the sender's)."""

    name = "odd"
    unsigned = True

    def verify(self, request: HttpRequest, *, now: float) -> int | None:
        return None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        return Identity(topic="order.\ud800", delivery_id="id-\udc00")


async def test_the_ack_survives_text_that_cannot_be_utf8_encoded() -> None:
    receiver = HookReceiver(store=MemoryStore(), settings=Settings(), run_worker=False)
    receiver.endpoint("/odd", _OddTextProvider()).on("*")(noop)
    async with asgi_client(receiver) as client:
        response = await client.post("/odd", content=b"{}", headers={"content-type": "application/json"})
    # The delivery is stored; its ack must not turn into a 500 that makes the sender retry forever.
    assert response.status_code == 200
    assert response.json() == {"status": "accepted", "delivery_id": "id-\udc00", "topic": "order.\ud800"}
    assert await receiver.store.state("/odd:id-\udc00") == "pending"


@pytest.mark.parametrize(
    ("body", "content_type", "topic"),
    [
        ("<r><type>order.café</type></r>".encode("latin-1"), "text/xml; charset=iso-8859-1", "order.café"),
        (
            '<?xml version="1.0" encoding="GBK"?><r><type>order.中文</type></r>'.encode("gbk"),
            "text/xml",
            "order.中文",
        ),
        ("<r><type>order.中文</type></r>".encode("gbk"), "application/xml; charset=GBK", "order.中文"),
    ],
)
async def test_xml_in_the_content_types_charset_is_accepted(
    body: bytes, content_type: str, topic: str
) -> None:
    receiver, endpoint = make_receiver()
    endpoint.on("*")(noop)
    async with asgi_client(receiver) as client:
        response = await client.post("/orders", content=body, headers=signed_headers(body, content_type))
    assert response.status_code == 200, response.text
    assert response.json()["topic"] == topic


async def test_a_forged_get_query_is_401_and_its_id_is_logged_unverified_and_escaped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver = HookReceiver(store=MemoryStore(), settings=Settings(), run_worker=False)
    provider = generic(methods=("GET",), topic="query:event", delivery_id="query:id")
    receiver.endpoint("/ping", provider).on("*")(noop)
    caplog.set_level(logging.INFO, logger="hookreceiver")
    signed = provider.sign({}, topic="ping", delivery_id="7", timestamp=NOW, url=f"{BASE_URL}/ping")
    async with asgi_client(receiver) as client:
        ok = await client.get(signed.url, headers=dict(signed.headers))
        forged = await client.get(
            f"{BASE_URL}/ping?event=order.deleted&id=8%0Aforged%20reason=x", headers=dict(signed.headers)
        )
    assert ok.status_code == 200 and ok.json() == {"status": "accepted", "delivery_id": "7", "topic": "ping"}
    assert forged.status_code == 401 and forged.json()["error"] == "bad_signature"
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("rejected"))
    assert "delivery_id=8\\x0aforged\\x20reason=x (unverified)" in line and "\n" not in line
    assert await receiver.store.state("/ping:8\nforged reason=x") is None


class _PeekBug(_BrokenProvider):
    """Refuses every request (401), and its optional peek hook has a bug."""

    def verify(self, request: HttpRequest, *, now: float) -> int | None:
        raise SignatureError("no good")

    def peek_delivery_id(self, request: HttpRequest) -> str | None:
        raise RuntimeError("bug in peek")


async def test_a_failing_peek_hook_leaves_the_rejection_as_it_was(caplog: pytest.LogCaptureFixture) -> None:
    receiver = HookReceiver(store=MemoryStore(), settings=Settings(), run_worker=False)
    receiver.endpoint("/peek", _PeekBug())
    caplog.set_level(logging.INFO, logger="hookreceiver")
    async with asgi_client(receiver) as client:
        response = await client.post("/peek", content=b"{}", headers={"content-type": "application/json"})
    assert response.status_code == 401 and response.json()["error"] == "bad_signature"
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("rejected"))
    assert "delivery_id=-" in line
