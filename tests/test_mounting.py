"""The receiver inside other apps: Starlette Mount, FastAPI mount, chained lifespans.

A mounted ASGI app never receives lifespan events, so the worker must start lazily on the first
delivery; a parent app that chains ``hooks.lifespan`` starts and stops it explicitly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from hookreceiver import Delivery, HookReceiver, Outcome
from tests.helpers import BASE_URL, make_receiver, post, sign

pytestmark = pytest.mark.anyio

URL = f"{BASE_URL}/webhooks/orders"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Recorder:
    """Collects handled deliveries and lets a test wait for the worker's outcome."""

    def __init__(self, receiver: HookReceiver) -> None:
        self.urls: list[str] = []
        self.outcomes: list[Outcome] = []
        self.event = anyio.Event()
        endpoint = receiver.endpoints["/orders"]
        endpoint.on("order.*")(self.handle)
        receiver.worker.listeners.append(self.listen)

    async def handle(self, delivery: Delivery) -> None:
        self.urls.append(delivery.url)

    def listen(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        self.event.set()

    async def wait(self) -> None:
        with anyio.fail_after(5):
            await self.event.wait()


async def home(request: Any) -> PlainTextResponse:
    return PlainTextResponse("home")


async def fastapi_home() -> PlainTextResponse:
    return PlainTextResponse("home")


async def deliver_through(app: Any, delivery_id: str = "m-1") -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as client:
        assert (await client.get("/")).text == "home"  # the parent app still serves its own routes
        return await post(client, sign({"n": 1}, delivery_id=delivery_id, url=URL))


@asynccontextmanager
async def lifespan_of(app: Callable[..., Any]) -> AsyncIterator[list[str]]:
    """Drive an ASGI app's lifespan protocol by hand, as a server would."""
    to_app, app_receives = anyio.create_memory_object_stream[dict[str, Any]](4)
    app_sends, from_app = anyio.create_memory_object_stream[dict[str, Any]](4)
    seen: list[str] = []

    async def run() -> None:
        await app(
            {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
            app_receives.receive,
            app_sends.send,
        )

    async with anyio.create_task_group() as tg, to_app, app_receives, app_sends, from_app:
        tg.start_soon(run)
        with anyio.fail_after(5):
            await to_app.send({"type": "lifespan.startup"})
            seen.append((await from_app.receive())["type"])
        yield seen
        with anyio.fail_after(5):
            await to_app.send({"type": "lifespan.shutdown"})
            seen.append((await from_app.receive())["type"])


@pytest.mark.parametrize("framework", ["starlette", "fastapi"])
async def test_mounted_receiver_starts_its_worker_lazily(framework: str) -> None:
    receiver, _ = make_receiver(run_worker=True)
    recorder = Recorder(receiver)
    parent: Any
    if framework == "starlette":
        parent = Starlette(routes=[Route("/", home), Mount("/webhooks", receiver)])
    else:
        parent = FastAPI()
        parent.get("/")(fastapi_home)
        parent.mount("/webhooks", receiver)
    assert not receiver.worker.running  # nobody sent a lifespan event
    try:
        response = await deliver_through(parent)
        assert response.status_code == 200 and response.json()["status"] == "accepted"
        await recorder.wait()
        assert receiver.worker.running
        assert recorder.outcomes[0].status == "done"
        assert recorder.urls == [URL]  # the public URL keeps the mount prefix
    finally:
        await receiver.stop()


async def test_unknown_path_below_the_mount_is_our_404() -> None:
    receiver, _ = make_receiver()
    parent = Starlette(routes=[Route("/", home), Mount("/webhooks", receiver)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=parent), base_url=BASE_URL) as client:
        response = await client.post("/webhooks/nope", content=b"{}")
    assert response.status_code == 404 and response.json()["error"] == "unknown_endpoint"


@pytest.mark.parametrize("framework", ["starlette", "fastapi"])
async def test_chained_lifespan_starts_and_stops_the_worker(framework: str) -> None:
    receiver, _ = make_receiver(run_worker=True)
    recorder = Recorder(receiver)
    parent: Any
    if framework == "starlette":
        parent = Starlette(
            routes=[Route("/", home), Mount("/webhooks", receiver)], lifespan=receiver.lifespan
        )
    else:
        parent = FastAPI(lifespan=receiver.lifespan)
        parent.get("/")(fastapi_home)
        parent.mount("/webhooks", receiver)
    async with lifespan_of(parent) as seen:
        assert seen == ["lifespan.startup.complete"]
        assert receiver.worker.running  # started by the lifespan, before any delivery
        response = await deliver_through(parent)
        assert response.json()["status"] == "accepted"
        await recorder.wait()
    assert seen == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert not receiver.worker.running
    assert recorder.outcomes[0].status == "done"


async def test_receivers_own_lifespan_when_served_directly() -> None:
    receiver, _ = make_receiver(run_worker=True)
    recorder = Recorder(receiver)
    async with lifespan_of(receiver) as seen:
        assert receiver.worker.running
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=receiver), base_url=BASE_URL
        ) as client:
            response = await post(client, sign({}, delivery_id="direct"))
        assert response.json()["status"] == "accepted"
        await recorder.wait()
    assert seen == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert not receiver.worker.running


async def test_receiver_without_in_process_worker_never_starts_one() -> None:
    receiver, endpoint = make_receiver(run_worker=False)
    endpoint.on("*")(lambda d: None)
    parent = Starlette(routes=[Route("/", home), Mount("/webhooks", receiver)])
    response = await deliver_through(parent)
    assert response.json()["status"] == "accepted"
    assert not receiver.worker.running  # a separate `hookreceiver worker` runs the handlers
    assert await receiver.store.state("/orders:m-1") == "pending"
