"""The body cap at its edges, over raw ASGI calls that count every ``receive``.

A body of exactly ``max_body_size`` bytes is taken and one byte more is a 413, whether the sender
declares a Content-Length or streams the body without one. A declared Content-Length past the cap
is refused before a single body message is read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from hookreceiver import Delivery
from tests.helpers import make_receiver, signed_headers

pytestmark = pytest.mark.anyio

LIMIT = 1000
CHUNK = 300  # a streamed body arrives in pieces of this size (the last one shorter)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def noop(delivery: Delivery) -> None:
    """A handler so the delivery is routed and stored."""


def body_of(size: int) -> bytes:
    """A JSON body of exactly ``size`` bytes with a topic, so only the cap can refuse it."""
    head, tail = b'{"type":"order.created","pad":"', b'"}'
    body = head + b"x" * (size - len(head) - len(tail)) + tail
    assert len(body) == size
    return body


@dataclass
class Exchange:
    """One raw ASGI request: the body messages handed out and the messages sent back."""

    body: bytes
    pulled: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)

    async def receive(self) -> dict[str, Any]:
        start = self.pulled * CHUNK
        self.pulled += 1
        if start >= len(self.body) and self.pulled > 1:
            return {"type": "http.disconnect"}
        piece = self.body[start : start + CHUNK]
        return {"type": "http.request", "body": piece, "more_body": start + CHUNK < len(self.body)}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        assert self.sent and self.sent[0]["type"] == "http.response.start"
        status: int = self.sent[0]["status"]
        return status

    def json(self) -> Any:
        return json.loads(b"".join(m.get("body", b"") for m in self.sent[1:]))


async def call(body: bytes, *, declared: int | None) -> Exchange:
    """POST ``body`` (correctly signed) to a receiver capped at ``LIMIT`` bytes."""
    receiver, endpoint = make_receiver(max_body_size=LIMIT)
    endpoint.on("*")(noop)
    headers = [(name.encode(), value.encode()) for name, value in signed_headers(body).items()]
    if declared is None:
        headers.append((b"transfer-encoding", b"chunked"))
    else:
        headers.append((b"content-length", str(declared).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/orders",
        "raw_path": b"/orders",
        "root_path": "",
        "query_string": b"",
        "server": ("hooks.test", 80),
        "client": ("127.0.0.1", 5000),
        "headers": headers,
    }
    exchange = Exchange(body)
    await receiver(scope, exchange.receive, exchange.send)
    return exchange


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
async def test_a_body_of_exactly_the_cap_is_accepted(declared: bool) -> None:
    body = body_of(LIMIT)
    exchange = await call(body, declared=len(body) if declared else None)
    assert exchange.status == 200, exchange.json()
    assert exchange.json()["status"] == "accepted"
    assert exchange.pulled == -(-LIMIT // CHUNK)  # every piece was read, and nothing more


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
async def test_one_byte_over_the_cap_is_413(declared: bool) -> None:
    body = body_of(LIMIT + 1)  # correctly signed: nothing but the cap can refuse it
    exchange = await call(body, declared=len(body) if declared else None)
    assert exchange.status == 413
    assert exchange.json()["error"] == "payload_too_large"
    if declared:
        assert exchange.pulled == 0  # refused on the header alone
    else:
        assert exchange.pulled == -(-(LIMIT + 1) // CHUNK)  # the last piece crosses the cap


@pytest.mark.parametrize("declared", [LIMIT + 1, 10 * LIMIT, 10**12])
async def test_an_oversized_content_length_is_refused_before_any_receive(declared: int) -> None:
    exchange = await call(body_of(LIMIT), declared=declared)
    assert exchange.status == 413
    assert exchange.json()["error"] == "payload_too_large"
    assert exchange.pulled == 0
