"""Duplicate storm: one delivery id arriving at several web processes at the same instant.

Several HookReceiver instances (each its own RedisStore and connection pool, as separate processes
would have) share one Redis namespace; N concurrent signed requests carry the same delivery id.
Exactly one is admitted, every sender gets a 2xx, and the handler runs exactly once.
"""

from __future__ import annotations

import asyncio

import pytest

from hookreceiver import ClaimState, Delivery, HookReceiver, Worker
from hookreceiver.stores.redis import RedisStore
from tests.helpers import FakeClock, asgi_client, make_receiver, post, sign

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

INSTANCES = 4
REQUESTS = 80


async def test_concurrent_duplicates_across_instances_run_the_handler_once(
    redis_url: str, redis_namespace: str,
) -> None:
    clock = FakeClock()
    runs: list[str] = []
    receivers: list[HookReceiver] = []
    for _ in range(INSTANCES):
        store = RedisStore.from_url(redis_url, namespace=redis_namespace, clock=clock)
        receiver, endpoint = make_receiver(store=store, clock=clock)

        @endpoint.on("order.*")
        async def handle(delivery: Delivery) -> None:
            runs.append(delivery.delivery_id)

        receivers.append(receiver)
    clients = [asgi_client(r) for r in receivers]
    try:
        request = sign({"n": 1}, delivery_id="storm-1")
        responses = await asyncio.gather(*(
            post(clients[i % INSTANCES], request) for i in range(REQUESTS)))
        statuses = [r.json()["status"] for r in responses]
        assert all(r.status_code == 200 for r in responses)
        assert statuses.count("accepted") == 1
        assert statuses.count("duplicate") == REQUESTS - 1

        workers = [Worker(r, r.store, concurrency=4) for r in receivers]
        outcomes = await asyncio.gather(*(w.run_once(wait=0.2) for w in workers))
        assert sum(len(o) for o in outcomes) == 1
        assert runs == ["storm-1"]
        assert await receivers[0].store.state("/orders:storm-1") is ClaimState.DONE

        # Later redeliveries of a handled event are still duplicates on every instance.
        again = await asyncio.gather(*(post(c, request) for c in clients))
        assert {r.json()["status"] for r in again} == {"duplicate"}
        assert runs == ["storm-1"]
    finally:
        for client in clients:
            await client.aclose()
        for receiver in receivers:
            await receiver.stop()


async def test_many_distinct_deliveries_each_run_once_across_instances(
    redis_url: str, redis_namespace: str,
) -> None:
    clock = FakeClock()
    runs: list[str] = []
    receivers: list[HookReceiver] = []
    for _ in range(INSTANCES):
        store = RedisStore.from_url(redis_url, namespace=redis_namespace, clock=clock)
        receiver, endpoint = make_receiver(store=store, clock=clock)
        endpoint.on("*")(lambda d: runs.append(d.delivery_id))
        receivers.append(receiver)
    clients = [asgi_client(r) for r in receivers]
    try:
        # 30 ids, each sent twice by the sender to two different instances, all at once.
        requests = [sign({"n": i}, delivery_id=f"id-{i}") for i in range(30)]
        responses = await asyncio.gather(*(
            post(clients[(i + k) % INSTANCES], requests[i]) for i in range(30) for k in (0, 1)))
        assert [r.json()["status"] for r in responses].count("accepted") == 30
        workers = [Worker(r, r.store, concurrency=8) for r in receivers]
        while len(runs) < 30:
            done = await asyncio.gather(*(w.run_once(wait=0.2) for w in workers))
            assert any(done), f"stalled with {len(runs)} runs"
        assert sorted(runs) == sorted(f"id-{i}" for i in range(30))
    finally:
        for client in clients:
            await client.aclose()
        for receiver in receivers:
            await receiver.stop()
