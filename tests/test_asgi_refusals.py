"""One handler answers every refusal from the exception's status_hint; our own bugs stay a 500."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from hookreceiver import HookReceiver, MemoryStore, Settings
from hookreceiver.core.delivery import Delivery, HttpRequest
from hookreceiver.endpoint import Endpoint, RetryPolicy, public_url
from hookreceiver.exceptions import (
    BodyTimeout,
    ConfigurationError,
    HookReceiverError,
    PayloadError,
    PayloadTooLarge,
    ReceiverBusy,
    SignatureError,
    StoreError,
    StoreUnavailable,
    UnknownEndpoint,
    UnsupportedContentType,
)
from hookreceiver.providers import Generic
from hookreceiver.stores.base import Admission
from tests.helpers import SECRET, asgi_client, generic, post, sign

pytestmark = pytest.mark.anyio


class Raising(Generic):
    """A Generic provider whose verify raises the error it was given."""

    def __init__(self, error: HookReceiverError, **options: Any) -> None:
        super().__init__(**options)
        self.error = error

    def verify(self, request: HttpRequest, *, now: float) -> int | None:
        raise self.error


def receiver_raising(error: HookReceiverError) -> HookReceiver:
    receiver = HookReceiver(store=MemoryStore(), settings=Settings(), run_worker=False)
    options = {"secret": SECRET, "signature_header": "x-signature", "topic": "body:type"}
    receiver.endpoint("/orders", Raising(error, **options, delivery_id="header:x-request-id"))
    return receiver


@pytest.mark.parametrize(
    ("error", "status", "reason"),
    [
        (SignatureError("no"), 401, "bad_signature"),
        (PayloadError("no", reason="missing_topic"), 400, "missing_topic"),
        (UnsupportedContentType("no"), 415, "unsupported_content_type"),
        (PayloadTooLarge("no"), 413, "payload_too_large"),
        (BodyTimeout("no"), 408, "body_timeout"),
        (UnknownEndpoint("no"), 404, "unknown_endpoint"),
        (ReceiverBusy("no"), 503, "busy"),
        (StoreUnavailable("down"), 503, "store_unavailable"),
    ],
)
async def test_each_refusal_is_answered_with_its_status_hint(
    error: HookReceiverError, status: int, reason: str
) -> None:
    assert error.status_hint == status
    async with asgi_client(receiver_raising(error)) as client:
        response = await post(client, sign({}, delivery_id="x"))
    assert (response.status_code, response.json()["error"]) == (status, reason)


async def test_an_error_that_is_our_bug_is_a_500_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="hookreceiver")
    async with asgi_client(receiver_raising(ConfigurationError("built wrong"))) as client:
        response = await post(client, sign({}, delivery_id="x"))
    assert response.status_code == 500 and response.json()["error"] == "internal_error"
    assert any(r.exc_info and isinstance(r.exc_info[1], ConfigurationError) for r in caplog.records)


class Unreadable(MemoryStore):
    """A store that cannot read its records: a StoreError that is not StoreUnavailable."""

    async def admit(self, delivery: Delivery) -> Admission:
        raise StoreError("stored delivery record is corrupt")


async def test_any_store_error_while_admitting_is_a_503(caplog: pytest.LogCaptureFixture) -> None:
    receiver = HookReceiver(store=Unreadable(), settings=Settings(), run_worker=False)
    receiver.endpoint("/orders", generic()).on("*")(lambda delivery: None)
    caplog.set_level(logging.WARNING, logger="hookreceiver")
    async with asgi_client(receiver) as client:
        response = await post(client, sign({}, delivery_id="x"))
    assert response.status_code == 503 and response.json()["error"] == "store_unavailable"
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("rejected"))
    assert "delivery_id=x " in line and "corrupt" in line  # the verified id, the store's own words


def endpoint(public: str | None = None) -> Endpoint:
    return Endpoint("/orders", generic(), max_body_size=10, retry=RetryPolicy(), public_url=public)


@pytest.mark.parametrize(
    ("public", "base", "query", "url"),
    [
        ("https://hooks.example/in", "https://ignored", "a=1", "https://hooks.example/in?a=1"),
        (None, "https://proxy.example/", "", "https://proxy.example/mount/orders"),
        (None, None, "a=1&b=2", "http://testserver/mount/orders?a=1&b=2"),
    ],
)
def test_public_url_prefers_the_endpoints_then_the_base_then_the_origin(
    public: str | None, base: str | None, query: str, url: str
) -> None:
    assert (
        public_url(
            endpoint(public), base_url=base, origin="http://testserver", path="/mount/orders", query=query
        )
        == url
    )
