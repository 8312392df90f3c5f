"""Reading bodies before verification: the deadline, the shared budget, and two-way framing.

The receive callables below hand over real ASGI ``http.request`` messages, as a server does.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
import pytest

from hookreceiver import HookReceiver, Settings
from hookreceiver.asgi import ReceiverApp
from hookreceiver.exceptions import BodyTimeout, ConfigurationError, DeliveryError, ReceiverBusy
from hookreceiver.intake import BufferBudget, read_body
from tests.helpers import generic

pytestmark = pytest.mark.anyio


def messages(*chunks: bytes, stall: bool = False) -> Callable[[], Awaitable[MutableMapping[str, Any]]]:
    """Each chunk as one message (the last with more_body=False), or stalling after them."""
    queue = list(chunks)

    async def receive() -> MutableMapping[str, Any]:
        if not queue:
            await anyio.sleep_forever()  # a client that declared more than it sends
        chunk = queue.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(queue) or stall}

    return receive


async def test_a_stalled_body_is_a_408() -> None:
    with pytest.raises(BodyTimeout) as info:
        await read_body(messages(b"x" * 10, stall=True), {"content-length": "110"}, 1000, timeout=0.05)
    assert (info.value.status_hint, info.value.reason) == (408, "body_timeout")


async def test_a_declared_length_is_reserved_before_reading_and_released_after() -> None:
    budget = BufferBudget(100)
    first = budget.hold()
    with pytest.raises(BodyTimeout):  # declared 80, sent nothing: held until the caller releases
        await read_body(messages(stall=True), {"content-length": "80"}, 1000, hold=first, timeout=0.05)
    assert budget.held == 80
    second = budget.hold()
    with pytest.raises(ReceiverBusy):
        await read_body(messages(b"y" * 30), {"content-length": "30"}, 1000, hold=second)
    assert budget.held == 80 and second.size == 0  # the refused request reserved nothing
    first.release()
    assert budget.held == 0
    assert await read_body(messages(b"y" * 30), {"content-length": "30"}, 1000, hold=second) == b"y" * 30
    assert budget.held == 30


async def test_a_chunked_body_grows_its_share_as_it_streams() -> None:
    budget = BufferBudget(25)
    hold = budget.hold()
    with pytest.raises(ReceiverBusy):
        await read_body(
            messages(b"a" * 10, b"b" * 10, b"c" * 10), {"transfer-encoding": "chunked"}, 1000, hold=hold
        )
    assert hold.size == 20  # what it held when it was refused
    hold.release()
    assert budget.held == 0


async def test_content_length_with_transfer_encoding_is_refused() -> None:
    headers = {"content-length": "5", "transfer-encoding": "chunked"}
    with pytest.raises(DeliveryError) as info:
        await read_body(messages(b"hello"), headers, 1000)
    assert (info.value.status_hint, info.value.reason) == (400, "ambiguous_length")


async def call(app: Any, headers: list[tuple[bytes, bytes]], body: bytes) -> tuple[int, dict[str, str], Any]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/orders",
        "raw_path": b"/orders",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 5000),
    }
    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await app(scope, messages(body), send)
    start = sent[0]
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


async def test_the_app_refuses_two_way_framing_and_closes_the_connection() -> None:
    hooks = HookReceiver(run_worker=False)
    hooks.endpoint("/orders", generic())
    status, headers, body = await call(
        hooks, [(b"content-length", b"2"), (b"transfer-encoding", b"chunked"), (b"host", b"h")], b"{}"
    )
    assert (status, body["error"], headers["connection"]) == (400, "ambiguous_length", "close")


async def test_the_app_answers_busy_with_a_retry_after() -> None:
    settings = Settings(max_buffered_bytes=100, max_body_size=100)
    hooks = HookReceiver(run_worker=False, settings=settings)
    hooks.endpoint("/orders", generic())
    app = ReceiverApp(hooks.endpoints, hooks.store, settings=settings, clock=hooks.clock)
    app.budget.held = 90  # other requests hold 90 bytes
    status, headers, body = await call(app, [(b"content-length", b"20"), (b"host", b"h")], b"x" * 20)
    assert (status, body["error"], headers["retry-after"], headers["connection"]) == (
        503,
        "busy",
        "5",
        "close",
    )


def test_the_budget_must_fit_one_body() -> None:
    with pytest.raises(ValueError, match="max_buffered_bytes"):
        Settings(max_buffered_bytes=10, max_body_size=11)
    hooks = HookReceiver(settings=Settings(max_buffered_bytes=100, max_body_size=100))
    with pytest.raises(ConfigurationError, match="HOOKRECEIVER_MAX_BUFFERED_BYTES"):
        hooks.endpoint("/big", generic(), max_body_size=101)
