"""Duplicate storm: one delivery id arriving at several web processes at the same instant.

First for real: three ``hookreceiver serve`` processes of one app share one Redis namespace, each
with its in-process worker; N concurrent signed requests with one delivery id are spread over them
and the handler (which appends to a file) must run exactly once. Then the same in one process with
several HookReceiver instances (each its own RedisStore and pool), where the test can also drive
the workers by hand.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from hookreceiver import ClaimState, Delivery, HookReceiver, Worker
from hookreceiver.stores.redis import RedisStore
from tests.helpers import SECRET, FakeClock, ServerProcess, asgi_client, make_receiver, post, sign

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

INSTANCES = 4
REQUESTS = 80

STORM_APP = """
import os, pathlib
from hookreceiver import Delivery, HookReceiver
from hookreceiver.providers import Generic

hooks = HookReceiver()  # the store comes from HOOKRECEIVER_REDIS_URL; a worker runs inside
orders = hooks.endpoint("/orders", Generic(secret=os.environ["STORM_SECRET"],
                                           signature_header="x-signature", topic="body:type",
                                           delivery_id="header:x-request-id"))

@orders.on("order.*")
def handle(delivery: Delivery) -> None:
    with open(pathlib.Path(os.environ["STORM_DIR"]) / "runs.log", "a") as log:
        log.write(f"{delivery.delivery_id} {os.getpid()}\\n")
"""


@pytest.mark.e2e
async def test_duplicate_storm_across_real_server_processes_runs_the_handler_once(
    tmp_path: Path,
    redis_url: str,
    redis_namespace: str,
) -> None:
    (tmp_path / "storm_app.py").write_text(STORM_APP)
    env = {
        "HOOKRECEIVER_REDIS_URL": f"{redis_url}?namespace={redis_namespace}",
        "STORM_SECRET": SECRET,
        "STORM_DIR": str(tmp_path),
        "PYTHONPATH": str(tmp_path),
    }
    servers = [ServerProcess("storm_app:hooks", tmp_path / f"serve-{i}.log", env=env) for i in range(3)]
    runs = tmp_path / "runs.log"
    try:
        for server in servers:
            server.start()
        async with httpx.AsyncClient(timeout=30) as client:
            responses = await asyncio.gather(
                *(
                    post(client, sign({"n": 1}, delivery_id="storm-p", url=f"{servers[i % 3].url}/orders"))
                    for i in range(REQUESTS)
                )
            )
        assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
        statuses = [r.json()["status"] for r in responses]
        assert (statuses.count("accepted"), statuses.count("duplicate")) == (1, REQUESTS - 1)
        store = RedisStore.from_url(redis_url, namespace=redis_namespace)
        try:
            deadline = time.monotonic() + 20
            while await store.state("/orders:storm-p") is not ClaimState.DONE:
                assert time.monotonic() < deadline, "the delivery was never handled"
                await asyncio.sleep(0.05)
            # Stop every server: once they have exited no further (wrong) run can happen, and
            # nothing may be left in the inbox for a later worker to run again.
            for server in servers:
                assert server.terminate() == 0
            pending: dict[str, object] = await store.client.xpending(store.inbox, "workers")
            assert pending["pending"] == 0
            assert await store.client.zcard(store.delayed) == 0
        finally:
            await store.close()
        assert [line.split()[0] for line in runs.read_text().splitlines()] == ["storm-p"]
    finally:
        for server in servers:
            server.kill()


async def test_concurrent_duplicates_across_instances_run_the_handler_once(
    redis_url: str,
    redis_namespace: str,
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
        responses = await asyncio.gather(*(post(clients[i % INSTANCES], request) for i in range(REQUESTS)))
        statuses = [r.json()["status"] for r in responses]
        assert all(r.status_code == 200 for r in responses)
        assert statuses.count("accepted") == 1
        assert statuses.count("duplicate") == REQUESTS - 1

        workers = [Worker(r.endpoints, r.store, concurrency=4) for r in receivers]
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
    redis_url: str,
    redis_namespace: str,
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
        responses = await asyncio.gather(
            *(post(clients[(i + k) % INSTANCES], requests[i]) for i in range(30) for k in (0, 1))
        )
        assert [r.json()["status"] for r in responses].count("accepted") == 30
        workers = [Worker(r.endpoints, r.store, concurrency=8) for r in receivers]
        while len(runs) < 30:
            done = await asyncio.gather(*(w.run_once(wait=0.2) for w in workers))
            assert any(done), f"stalled with {len(runs)} runs"
        assert sorted(runs) == sorted(f"id-{i}" for i in range(30))
    finally:
        for client in clients:
            await client.aclose()
        for receiver in receivers:
            await receiver.stop()
