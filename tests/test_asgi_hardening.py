"""The ASGI app against slow or hostile senders: big bodies are verified and decoded off the event
loop, and sender-controlled text cannot forge log lines.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import anyio
import httpx
import pytest

from hookreceiver import HookReceiver, HttpRequest, MemoryStore, Settings
from hookreceiver.asgi import OFFLOAD_BODY_SIZE
from hookreceiver.providers import BaseProvider, Identity
from tests.helpers import asgi_client, make_receiver, post, sign

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class _ThreadRecorder(BaseProvider):
    """An unsigned provider that notes the thread its decode runs in, and can be made to block."""

    name = "recorder"
    unsigned = True

    def __init__(self, *, block: bool = False) -> None:
        self.threads: list[int] = []
        self.block = block
        self.started = threading.Event()
        self.release = threading.Event()
        self.released: list[bool] = []

    def verify(self, request: HttpRequest, *, now: float) -> int | None:
        return None

    def decode(self, request: HttpRequest) -> Any:
        self.threads.append(threading.get_ident())
        if self.block and len(request.body) > OFFLOAD_BODY_SIZE:
            self.started.set()
            # A safety net only: on the event loop this would wait for a release that cannot come.
            self.released.append(self.release.wait(timeout=10))
        return super().decode(request)

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        return Identity(topic=str(payload["type"]), delivery_id=str(payload["id"]))


def _body(size: int, delivery_id: str = "d-1") -> bytes:
    head = json.dumps({"type": "t", "id": delivery_id, "pad": ""}).encode()
    return head[:-2] + b"x" * max(0, size - len(head)) + b'"}'


def _receiver(provider: _ThreadRecorder) -> HookReceiver:
    receiver = HookReceiver(store=MemoryStore(), settings=Settings(), run_worker=False)
    receiver.endpoint("/big", provider, max_body_size=4 * OFFLOAD_BODY_SIZE).on("*")(_noop)
    return receiver


async def _noop(delivery: Any) -> None:
    return None


async def _send(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
    return await client.post("/big", content=body, headers={"content-type": "application/json"})


async def test_small_bodies_decode_on_the_loop_and_big_ones_in_a_worker_thread() -> None:
    provider = _ThreadRecorder()
    loop_thread = threading.get_ident()
    async with asgi_client(_receiver(provider)) as client:
        small = await _send(client, _body(OFFLOAD_BODY_SIZE, "small"))
        big = await _send(client, _body(OFFLOAD_BODY_SIZE + 1, "big"))
    assert (small.status_code, big.status_code) == (200, 200)
    assert len(_body(OFFLOAD_BODY_SIZE)) == OFFLOAD_BODY_SIZE
    assert provider.threads[0] == loop_thread
    assert provider.threads[1] != loop_thread


async def test_the_loop_serves_other_requests_while_a_big_body_is_decoded() -> None:
    provider = _ThreadRecorder(block=True)
    responses: dict[str, httpx.Response] = {}
    async with asgi_client(_receiver(provider)) as client:

        async def big() -> None:
            responses["big"] = await _send(client, _body(2 * OFFLOAD_BODY_SIZE, "big"))

        async with anyio.create_task_group() as group:
            group.start_soon(big)
            while not provider.started.is_set():
                await anyio.sleep(0.01)
            # The big decode is blocked in its thread: a small request must still be answered.
            responses["small"] = await _send(client, _body(100, "small"))
            provider.release.set()
    assert responses["small"].status_code == 200
    assert responses["big"].status_code == 200
    assert provider.released == [True]  # released by the test, not by the safety timeout


FORGED = "order.created\r\nINFO forged line"


@pytest.mark.parametrize("where", ["topic", "delivery_id"])
async def test_crlf_in_a_topic_or_id_cannot_forge_an_accept_log_line(
    where: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hookreceiver")
    receiver, endpoint = make_receiver(provider={"delivery_id": "body:id"})
    endpoint.on("*")(_noop)
    payload = {"id": FORGED if where == "delivery_id" else "d-1"}
    request = sign(payload, topic=FORGED if where == "topic" else "order.created", delivery_id=None)
    async with asgi_client(receiver) as client:
        response = await post(client, request)
    assert response.status_code == 200
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("accepted")]
    assert "\r" not in line and "\n" not in line
    assert f"{where}=order.created\\x0d\\x0aINFO\\x20forged\\x20line" in line


async def test_repeated_headers_are_joined_in_order() -> None:
    receiver, endpoint = make_receiver()
    endpoint.on("*")(_noop)
    request = sign({}, delivery_id=None)
    ids = [(b"x-request-id", f"id-{n}".encode()) for n in range(500)]
    async with asgi_client(receiver) as client:
        raw = [(k.encode(), v.encode()) for k, v in request.headers.items()] + ids
        response = await client.post("/orders", content=request.body, headers=raw)
    assert response.status_code == 200
    assert response.json()["delivery_id"] == ", ".join(f"id-{n}" for n in range(500))
