"""Worker prefetch: jobs are taken in batches, run ``concurrency`` at a time, and the ones taken
ahead are handed back at once on stop."""

from __future__ import annotations

import asyncio
import logging

import anyio
import httpx
import pytest

from hookreceiver import ClaimState, Delivery, HookReceiver, MemoryStore, Settings, Worker
from hookreceiver.worker import LOCAL_PREFETCH
from tests.helpers import asgi_client, delivery, generic, make_receiver, post, sign

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class CountingStore(MemoryStore):
    """A real MemoryStore that records the ``limit`` of every take."""

    def __init__(self) -> None:
        super().__init__()
        self.limits: list[int] = []

    async def take(self, consumer: str, *, limit: int, wait: float) -> list:  # type: ignore[type-arg]
        self.limits.append(limit)
        return await super().take(consumer, limit=limit, wait=wait)


async def test_jobs_are_taken_in_batches_and_run_concurrency_at_a_time() -> None:
    store = CountingStore()
    receiver, endpoint = make_receiver(store=store)
    running, peak, done = 0, 0, asyncio.Event()
    handled: list[str] = []

    @endpoint.on("*")
    async def handler(d: Delivery) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001)
        running -= 1
        handled.append(d.delivery_id)
        if len(handled) == 40:
            done.set()

    for n in range(40):
        await store.admit(delivery(f"b-{n}"))
    worker = Worker(receiver.endpoints, store, concurrency=2, prefetch=10, poll_interval=0.05)
    assert worker.prefetch == 10
    worker.start()
    with anyio.fail_after(10):
        await done.wait()
    await worker.stop(grace=1)
    assert sorted(handled) == sorted(f"b-{n}" for n in range(40))  # each once
    assert peak == 2  # never more than concurrency at once
    assert store.limits[0] == 10 and max(store.limits) == 10  # reads of up to prefetch jobs
    assert all(limit >= 5 for limit in store.limits)  # refilled once half were done, not per job


class SharedMemoryStore(MemoryStore):
    """A real MemoryStore that says it is shared, as a Redis store does."""

    shared = True


async def test_prefetch_is_at_least_concurrency_and_four_times_it_by_default_on_a_shared_store() -> None:
    receiver, _ = make_receiver(store=SharedMemoryStore())
    assert Worker(receiver.endpoints, receiver.store, concurrency=3).prefetch == 12
    assert Worker(receiver.endpoints, receiver.store, concurrency=3, prefetch=1).prefetch == 3


async def test_prefetch_from_a_store_of_this_process_only_is_large_by_default() -> None:
    receiver, _ = make_receiver()
    assert not receiver.store.shared
    assert Worker(receiver.endpoints, receiver.store, concurrency=3).prefetch == LOCAL_PREFETCH
    assert Worker(receiver.endpoints, receiver.store, concurrency=3, prefetch=1).prefetch == 3


@pytest.mark.parametrize("prefetch", [None, 32])
async def test_in_process_worker_keeps_up_with_the_requests_on_its_loop(prefetch: int | None) -> None:
    """50 senders back to back on one event loop, a store capped at 200 live deliveries: with
    the default prefetch the worker drains as fast as they arrive, so none is refused (503).
    With 32 held at a time (the shared-store default for concurrency 8) it reads too few per
    turn of the loop and falls behind: the case shows the test can fail."""
    store = MemoryStore(max_entries=200)
    receiver = HookReceiver(store=store, settings=Settings(), run_worker=True)
    provider = generic()
    endpoint = receiver.endpoint("/orders", provider)
    handled: list[str] = []

    @endpoint.on("*")
    async def handler(d: Delivery) -> None:
        handled.append(d.delivery_id)

    if prefetch is not None:
        receiver._worker = Worker(receiver.endpoints, store, prefetch=prefetch)
    statuses: list[int] = []
    senders, each = 50, 40

    async def sender(client: httpx.AsyncClient, n: int) -> None:
        for k in range(each):
            request = sign({"type": "order.created"}, delivery_id=f"s{n}-{k}", provider=provider)
            response = await post(client, request)
            statuses.append(response.status_code)
            # In-process requests never wait on a socket; a real sender's next request does.
            await asyncio.sleep(0)

    async with asgi_client(receiver) as client:
        await asyncio.gather(*(sender(client, n) for n in range(senders)))
        with anyio.fail_after(10):
            while len(handled) < statuses.count(200):
                await asyncio.sleep(0.01)
    await receiver.stop()
    assert len(statuses) == senders * each
    if prefetch is None:
        assert statuses.count(200) == senders * each, f"refused: {len(statuses) - statuses.count(200)}"
        assert sorted(handled) == sorted(f"s{n}-{k}" for n in range(senders) for k in range(each))
    else:
        assert statuses.count(503) > 0


async def test_stop_hands_back_jobs_taken_ahead_at_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hookreceiver")
    store = MemoryStore()
    receiver, endpoint = make_receiver(store=store)
    started, release = asyncio.Event(), asyncio.Event()
    runs: list[str] = []

    @endpoint.on("*")
    async def slow(d: Delivery) -> None:
        runs.append(d.delivery_id)
        started.set()
        await release.wait()

    for n in range(4):
        await store.admit(delivery(f"a-{n}"))
    worker = Worker(receiver.endpoints, store, concurrency=1, prefetch=4, poll_interval=0.05)
    worker.start()
    with anyio.fail_after(5):
        await started.wait()
        assert worker.in_flight == 4  # one running, three taken ahead
        stopping = asyncio.ensure_future(worker.stop(grace=5))
        await asyncio.sleep(0.05)
        assert worker.in_flight == 1  # the three were handed back without waiting for the grace
        release.set()
        await stopping
    assert runs == ["a-0"]
    assert "handed back 3 deliveries taken ahead" in caplog.text
    assert await store.state("/orders:a-0") is ClaimState.DONE
    again = [job.delivery.delivery_id for job in await store.take("next", limit=10, wait=0)]
    assert sorted(again) == ["a-1", "a-2", "a-3"]  # pending, and handed out again at once
