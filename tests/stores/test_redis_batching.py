"""Redis store batching: concurrent admissions and outcomes are one script call per loop tick.

Run on a private redis-server, so its command counters see only this test's traffic.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from hookreceiver import Admission, ClaimState, StoreUnavailable
from hookreceiver.stores.redis import RedisStore
from tests.conftest import REDIS_TEST_PASSWORD, RedisServer
from tests.helpers import FakeClock, asgi_client, delivery, free_port, make_receiver, post, sign
from tests.stores.contract import CONSUMER

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def store(redis_server: RedisServer) -> AsyncIterator[RedisStore]:
    built = RedisStore.from_url(redis_server.url, namespace="batching", clock=FakeClock())
    yield built
    await built.close()


async def script_calls(server: RedisServer) -> int:
    """How many EVALSHA/EVAL commands the server has run so far."""
    admin = redis.asyncio.Redis.from_url(server.url)
    try:
        stats = await admin.info("commandstats")
    finally:
        await admin.aclose()
    return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("evalsha", "eval"))


async def test_concurrent_admissions_are_one_script_call(
    store: RedisStore, redis_server: RedisServer
) -> None:
    await store.admit(delivery("warm-up"))  # loads the script, creates the connection
    before = await script_calls(redis_server)
    results = await asyncio.gather(*(store.admit(delivery(f"d-{n}")) for n in range(50)))
    assert results == [Admission.ACCEPTED] * 50
    assert await script_calls(redis_server) - before == 1
    for n in (0, 49):
        assert await store.state(f"/orders:d-{n}") is ClaimState.PENDING


async def test_the_same_delivery_twice_in_one_batch_is_admitted_once(store: RedisStore) -> None:
    results = await asyncio.gather(*(store.admit(delivery("twin")) for _ in range(3)))
    assert sorted(results) == [Admission.ACCEPTED, Admission.DUPLICATE, Admission.DUPLICATE]
    jobs = await store.take(CONSUMER, limit=10, wait=0)
    assert [job.delivery.delivery_id for job in jobs] == ["twin"]  # one inbox entry


async def test_outcomes_of_one_tick_are_one_script_call(store: RedisStore, redis_server: RedisServer) -> None:
    await store.admit(delivery("warm-up"))
    [warm] = await store.take(CONSUMER, limit=1, wait=0)
    await store.complete(warm)  # loads the script
    await asyncio.gather(*(store.admit(delivery(f"o-{n}")) for n in range(30)))
    jobs = await store.take(CONSUMER, limit=30, wait=0)
    assert len(jobs) == 30
    before = await script_calls(redis_server)
    await asyncio.gather(
        *(store.complete(job) for job in jobs[:20]),
        *(store.retry(job, delay=60, error="boom") for job in jobs[20:25]),
        *(store.bury(job, error="dead") for job in jobs[25:]),
    )
    assert await script_calls(redis_server) - before == 1
    states = [await store.state(job.delivery.key) for job in jobs]
    assert states == [ClaimState.DONE] * 20 + [ClaimState.FAILED] * 5 + [ClaimState.DEAD] * 5
    assert len(await store.dead_letters()) == 5
    stats = await store.stats()
    assert (stats.admitted, stats.handled, stats.failed, stats.dead) == (31, 21, 10, 5)


async def test_a_busy_take_reads_a_whole_batch_in_one_read_and_one_script(
    store: RedisStore, redis_server: RedisServer
) -> None:
    await asyncio.gather(*(store.admit(delivery(f"t-{n}")) for n in range(100)))
    await store.take(CONSUMER, limit=1, wait=0)  # creates the group, starts the heartbeat

    async def calls() -> dict[str, int]:
        admin = redis.asyncio.Redis.from_url(redis_server.url)
        try:
            stats = await admin.info("commandstats")
        finally:
            await admin.aclose()
        names = ("xreadgroup", "zrangebyscore", "evalsha")
        return {name: int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in names}

    before = await calls()
    jobs = await store.take(CONSUMER, limit=99, wait=0)
    after = await calls()
    assert len(jobs) == 99
    # One pipeline (due retries + the inbox read), then one START script for all 99.
    assert {name: after[name] - before[name] for name in after} == {
        "xreadgroup": 1,
        "zrangebyscore": 1,
        "evalsha": 1,
    }


async def test_every_admission_of_a_batch_that_cannot_be_stored_gets_its_own_503() -> None:
    store = RedisStore.from_url(f"redis://:{REDIS_TEST_PASSWORD}@127.0.0.1:{free_port()}/0?timeout=1")
    try:
        results = await asyncio.gather(
            *(store.admit(delivery(f"x-{n}")) for n in range(5)), return_exceptions=True
        )
        assert all(isinstance(r, StoreUnavailable) for r in results)
        receiver, endpoint = make_receiver(store=store)
        endpoint.on("*")(lambda d: None)
        async with asgi_client(receiver) as client:
            answers = await asyncio.gather(*(post(client, sign({}, delivery_id=f"h-{n}")) for n in range(5)))
        assert [a.status_code for a in answers] == [503] * 5
        assert {a.json()["error"] for a in answers} == {"store_unavailable"}
    finally:
        await store.close()
