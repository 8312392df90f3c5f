"""Retries, backoff, dead letters and replay end to end: HTTP in, Worker, RedisStore, real Redis.

The receiver, its RedisStore and the worker share a FakeClock: retry due times are the store's
own arithmetic on that clock, so moving it is all a test needs to make a retry due.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from hookreceiver import ClaimState, Delivery, HookReceiver, Worker
from hookreceiver.ops import resolve_key, run_handlers
from hookreceiver.receiver import Endpoint
from hookreceiver.stores.base import Job
from hookreceiver.stores.redis import RedisStore
from tests.helpers import FakeClock, asgi_client, delivery, make_receiver, post, sign

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


class Flaky:
    """A handler failing its first ``failures`` runs; records the attempts it saw."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts: list[int] = []

    async def __call__(self, delivery: Delivery) -> None:
        self.attempts.append(delivery.attempt)
        if len(self.attempts) <= self.failures:
            raise RuntimeError(f"downstream said no (run {len(self.attempts)})")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def app(
    redis_url: str, redis_namespace: str, clock: FakeClock
) -> AsyncIterator[tuple[HookReceiver, Endpoint]]:
    store = RedisStore.from_url(redis_url, namespace=redis_namespace, clock=clock)
    receiver, endpoint = make_receiver(store=store, clock=clock, max_attempts=3)
    yield receiver, endpoint
    await receiver.stop()


async def send(receiver: HookReceiver, delivery_id: str = "d-1") -> str:
    async with asgi_client(receiver) as client:
        response = await post(client, sign({"n": 1}, delivery_id=delivery_id))
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


def worker(receiver: HookReceiver) -> Worker:
    return Worker(receiver.endpoints, receiver.store, concurrency=4, rand=lambda: 0.5)


async def test_failures_back_off_then_succeed(app: tuple[HookReceiver, Endpoint], clock: FakeClock) -> None:
    receiver, endpoint = app
    handler = Flaky(failures=2)
    endpoint.on("order.created")(handler)
    w = worker(receiver)
    assert await send(receiver) == "accepted"
    [first] = await w.run_once()
    assert (first.status, first.delay) == ("retry", 1.5)  # 2 s base, jitter 0.5 -> 75 %
    assert await receiver.store.state("/orders:d-1") is ClaimState.FAILED
    clock.advance(1.4)
    assert await w.run_once() == []  # not due yet: nothing sleeps, nothing runs
    clock.advance(0.2)
    [second] = await w.run_once()
    assert (second.status, second.delay) == ("retry", 3.0)
    clock.advance(3.0)
    [third] = await w.run_once()
    assert third.status == "done" and handler.attempts == [1, 2, 3]
    assert await receiver.store.state("/orders:d-1") is ClaimState.DONE
    assert await send(receiver) == "duplicate"


async def test_last_failure_is_a_dead_letter_with_traceback_then_replay(
    app: tuple[HookReceiver, Endpoint],
    clock: FakeClock,
) -> None:
    receiver, endpoint = app
    handler = Flaky(failures=3)
    endpoint.on("order.*")(handler)
    w = worker(receiver)
    await send(receiver)
    for _ in range(3):
        await w.run_once()
        clock.advance(3600)
    assert await receiver.store.state("/orders:d-1") is ClaimState.DEAD
    [dead] = await receiver.store.dead_letters()
    assert dead.attempts == 3 and dead.failed_at == clock.now - 3600
    assert "Traceback" in dead.error and "downstream said no (run 3)" in dead.error
    assert await w.run_once() == []

    assert await resolve_key(receiver.store, "d-1", endpoints=receiver.endpoints) == "/orders:d-1"
    assert await receiver.store.replay("/orders:d-1") is True
    [outcome] = await w.run_once()
    assert outcome.status == "done" and handler.attempts == [1, 2, 3, 1]
    assert await receiver.store.dead_letters() == []
    original = await receiver.store.get("/orders:d-1")
    assert original is not None and original.body == sign({"n": 1}, delivery_id="d-1").body


async def test_provider_redelivery_of_failed_runs_now_and_of_dead_starts_again(
    app: tuple[HookReceiver, Endpoint],
    clock: FakeClock,
) -> None:
    receiver, endpoint = app
    handler = Flaky(failures=10)
    endpoint.on("order.created")(handler)
    w = worker(receiver)
    await send(receiver)
    await w.run_once()  # attempt 1 fails; the retry is 1.5 s away
    assert await send(receiver) == "accepted"  # the provider gave up waiting and redelivered
    await w.run_once()  # runs now, as attempt 2
    clock.advance(3600)
    await w.run_once()  # attempt 3: dead (the superseded first retry never runs)
    assert handler.attempts == [1, 2, 3]
    assert await receiver.store.state("/orders:d-1") is ClaimState.DEAD
    assert await send(receiver) == "accepted"
    await w.run_once()
    assert handler.attempts == [1, 2, 3, 1]


async def test_stopping_a_worker_hands_in_flight_deliveries_to_another(
    app: tuple[HookReceiver, Endpoint],
) -> None:
    receiver, endpoint = app
    started, release = asyncio.Event(), asyncio.Event()
    runs: list[int] = []

    @endpoint.on("order.created")
    async def slow(delivery: Delivery) -> None:
        runs.append(delivery.attempt)
        started.set()
        await release.wait()

    first = worker(receiver)
    first.start()
    await send(receiver)
    await asyncio.wait_for(started.wait(), 5)
    await first.stop(grace=0.05)  # does not finish in time: handed back, attempt not counted
    assert await receiver.store.state("/orders:d-1") is ClaimState.PENDING
    release.set()
    [outcome] = await worker(receiver).run_once(wait=1.0)
    assert outcome.status == "done" and runs == [1, 1]


async def test_inline_replay_runs_handlers_without_touching_the_store(
    app: tuple[HookReceiver, Endpoint],
) -> None:
    receiver, endpoint = app
    seen: list[bytes] = []
    endpoint.on("order.created")(lambda d: seen.append(d.body))
    await send(receiver)
    [outcome] = await worker(receiver).run_once()
    stored = await receiver.store.get("/orders:d-1")
    assert stored is not None and outcome.status == "done"
    assert await run_handlers(receiver, stored) == 1
    assert seen == [stored.body, stored.body]
    assert await receiver.store.state("/orders:d-1") is ClaimState.DONE


class Faulty(RedisStore):
    """A real RedisStore whose ``take`` fails with an unexpected (non-store) error while broken."""

    broken = True
    failures = 0

    async def take(self, consumer: str, *, limit: int, wait: float) -> list[Job]:
        if self.broken:
            self.failures += 1
            raise RuntimeError("a bug or a driver error nobody translated")
        return await super().take(consumer, limit=limit, wait=wait)


async def test_a_worker_survives_unexpected_store_errors_and_resumes(
    redis_url: str,
    redis_namespace: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = Faulty.from_url(redis_url, namespace=redis_namespace)
    assert isinstance(store, Faulty)
    receiver, endpoint = make_receiver(store=store)
    handled: list[str] = []
    endpoint.on("*")(lambda d: handled.append(d.delivery_id))
    w = Worker(receiver.endpoints, store, poll_interval=0.05)
    w.start()
    try:
        for _ in range(100):
            if store.failures >= 3:
                break
            await asyncio.sleep(0.02)
        assert store.failures >= 3, "the worker stopped taking after an unexpected error"
        assert w.running  # still looping after several failures
        store.broken = False
        await store.admit(delivery("after"))
        for _ in range(100):
            if handled:
                break
            await asyncio.sleep(0.05)
        assert handled == ["after"]
    finally:
        await w.stop()
        await store.close()
    assert "a bug or a driver error nobody translated" in caplog.text


async def test_stop_during_a_blocking_take_strands_nothing(
    redis_url: str,
    redis_namespace: str,
) -> None:
    name = f"blocked-{uuid.uuid4().hex[:10]}"  # names the worker's connections in CLIENT LIST
    joiner = "&" if "?" in redis_url else "?"
    store = RedisStore.from_url(
        f"{redis_url}{joiner}client_name={name}", namespace=redis_namespace, visibility_timeout=600
    )
    sender = RedisStore.from_url(redis_url, namespace=redis_namespace)
    receiver, endpoint = make_receiver(store=store)
    release = asyncio.Event()
    runs: list[int] = []

    @endpoint.on("*")
    async def slow(d: Delivery) -> None:
        runs.append(d.attempt)
        await release.wait()

    first = Worker(receiver.endpoints, store, poll_interval=1.0)
    first.start()
    deadline = time.monotonic() + 20
    while not any(
        c.get("name") == name and c.get("cmd") == "xreadgroup" and "b" in c.get("flags", "")
        for c in await sender.client.client_list()
    ):
        assert time.monotonic() < deadline, "the worker never blocked in its read of the inbox"
        await asyncio.sleep(0.02)
    await sender.admit(delivery("a"))
    await first.stop(grace=0.05)  # the read returns the entry while the worker stops
    release.set()
    later = RedisStore.from_url(redis_url, namespace=redis_namespace, visibility_timeout=600)
    try:
        outcomes = await Worker(receiver.endpoints, later).run_once(wait=1.0)
        assert await later.state("/orders:a") is ClaimState.DONE, (outcomes, runs)
        assert [o.status for o in outcomes] == ["done"]  # at once, not after 600 s
        claim = await later.client.hget(later.claim_key("/orders:a"), "reclaims")
        assert claim == b"0"  # a hand-back, not a lost worker
    finally:
        for s in (store, sender, later):
            await s.close()
