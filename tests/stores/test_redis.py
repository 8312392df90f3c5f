"""RedisStore against a real Redis: the Store contract, then what only the Redis store promises."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from hookreceiver import Admission, ClaimState, Store
from hookreceiver.stores.base import Job
from hookreceiver.stores.redis import RedisStore, member_for
from tests.helpers import FakeClock, delivery
from tests.stores.contract import CONSUMER, StoreContract

pytestmark = [pytest.mark.redis]


class TestRedisStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _redis(self, redis_url: str, redis_namespace: str) -> None:
        self.url, self.namespace = redis_url, redis_namespace

    async def make_store(self, clock: Callable[[], float]) -> Store:
        return RedisStore.from_url(self.url, retention=self.retention, clock=clock, namespace=self.namespace)


@pytest.fixture
async def make(redis_url: str, redis_namespace: str) -> AsyncIterator[Callable[..., RedisStore]]:
    """Build RedisStores on the test's namespace (several may share it, like several processes)."""
    stores: list[RedisStore] = []

    def build(**options: Any) -> RedisStore:
        options.setdefault("clock", FakeClock())
        store = RedisStore.from_url(redis_url, namespace=redis_namespace, **options)
        stores.append(store)
        return store

    yield build
    for store in stores:
        await store.close()


async def namespace_keys(store: RedisStore) -> list[str]:
    return [key.decode() async for key in store.client.scan_iter(match=store.prefix + "*")]


# Takeover tests wait on what Redis shows (idle times, a take that returns the job) up to this
# deadline instead of sleeping a fixed time past a small visibility timeout.
DEADLINE = 20.0


async def wait_until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not await condition():
        assert time.monotonic() < deadline, f"gave up after {DEADLINE} s waiting until {what}"
        await asyncio.sleep(0.02)


async def take_when_due(store: RedisStore, consumer: str) -> list[Job]:
    """Poll ``take`` until it returns something (a takeover, once the entry is idle enough)."""
    jobs: list[Job] = []

    async def taken() -> bool:
        jobs.extend(await store.take(consumer, limit=1, wait=0))
        return bool(jobs)

    await wait_until(taken, f"{consumer} takes a job")
    return jobs


async def all_idle_for(store: RedisStore, seconds: float) -> bool:
    """Whether every pending entry of the inbox went ``seconds`` without a heartbeat or claim."""
    rows: list[dict[str, Any]] = await store.client.xpending_range(
        store.inbox, "workers", min="-", max="+", count=1000
    )
    return bool(rows) and all(row["time_since_delivered"] >= seconds * 1000 for row in rows)


@pytest.mark.anyio
async def test_every_key_shares_one_hash_slot_and_senders_cannot_move_it(
    make: Callable[..., RedisStore],
) -> None:
    from redis.crc import key_slot

    store = make()
    hostile = ["{evil}", "}{", "a b", "a%20b", "ünï/cødé", "x" * 500, "a}:{b"]
    for name in hostile:
        assert await store.admit(delivery(name)) is Admission.ACCEPTED
    jobs = await store.take(CONSUMER, limit=100, wait=0)
    await store.bury(jobs[0], error="x")
    await store.retry(jobs[1], delay=60, error="y")
    await store.complete(jobs[2])
    keys = await namespace_keys(store)
    assert {store.inbox, store.delayed, store.dead, store.settled} <= set(keys)
    assert len({key_slot(key.encode()) for key in keys}) == 1
    assert all(key.count("{") == 1 and key.count("}") == 1 for key in keys)
    for name in hostile:  # distinct ids stay distinct ("a b" vs "a%20b") and keep their bytes
        got = await store.get(f"/orders:{name}")
        assert got is not None and got.delivery_id == name


@pytest.mark.anyio
async def test_exact_bytes_survive_even_when_not_utf8(make: Callable[..., RedisStore]) -> None:
    from dataclasses import replace

    store = make()
    sent = replace(delivery("raw"), body=b"\xff\x00\xfe{not json", payload={"type": "x"})
    await store.admit(sent)
    got = await store.get(sent.key)
    assert got is not None and got.body == b"\xff\x00\xfe{not json" and got == sent


@pytest.mark.anyio
async def test_live_claims_have_no_ttl_settled_ones_keep_retention(
    make: Callable[..., RedisStore],
) -> None:
    store = make(retention=1000.0)
    for name in ("live", "done", "dead"):
        await store.admit(delivery(name))
    jobs = {j.delivery.delivery_id: j for j in await store.take(CONSUMER, limit=10, wait=0)}
    await store.complete(jobs["done"])
    await store.bury(jobs["dead"], error="x")
    ttl = {
        name: await store.client.ttl(store.claim_key(member_for(f"/orders:{name}")))
        for name in ("live", "done", "dead")
    }
    assert ttl["live"] == -1
    assert 990 <= ttl["done"] <= 1000 and 990 <= ttl["dead"] <= 1000


@pytest.mark.anyio
async def test_retained_cap_drops_the_oldest_done_claims(make: Callable[..., RedisStore]) -> None:
    clock = FakeClock()
    store = make(max_retained=2, clock=clock)
    for name in ("a", "b", "c"):
        await store.admit(delivery(name))
        await store.complete((await store.take(CONSUMER, limit=1, wait=0))[0])
        clock.advance(1)
    assert await store.state("/orders:a") is None
    assert await store.state("/orders:b") is ClaimState.DONE
    assert await store.state("/orders:c") is ClaimState.DONE
    assert await store.admit(delivery("a")) is Admission.ACCEPTED


@pytest.mark.anyio
async def test_a_dead_workers_job_is_taken_over_after_the_visibility_timeout(
    make: Callable[..., RedisStore],
) -> None:
    timeout = 1.5
    crashed, survivor = make(visibility_timeout=timeout), make(visibility_timeout=timeout)
    await crashed.admit(delivery("a"))
    started = time.monotonic()
    [lost] = await crashed.take("crashed", limit=1, wait=0)
    crashed._in_flight.clear()  # it dies: no more heartbeats for its job
    assert await survivor.take("survivor", limit=1, wait=0) == []  # not yet idle long enough
    [again] = await take_when_due(survivor, "survivor")
    assert time.monotonic() - started >= timeout - 0.01  # never before the visibility timeout
    assert again.delivery == lost.delivery and again.delivery.attempt == 1
    await survivor.complete(again)
    assert await survivor.state("/orders:a") is ClaimState.DONE
    assert await survivor.take("survivor", limit=1, wait=0.1) == []


@pytest.mark.anyio
async def test_heartbeat_keeps_a_long_job_from_being_taken_over(
    make: Callable[..., RedisStore],
) -> None:
    timeout = 1.2  # the heartbeat beats every 0.4 s: 0.8 s of slack before a takeover
    busy, other = make(visibility_timeout=timeout), make(visibility_timeout=timeout)
    await busy.admit(delivery("slow"))
    [job] = await busy.take("busy", limit=1, wait=0)
    until = time.monotonic() + 2.5 * timeout  # longer than two visibility timeouts
    while time.monotonic() < until:
        other._last_reclaim = float("-inf")  # every look is a real XAUTOCLAIM
        assert await other.take("other", limit=1, wait=0) == []
        await asyncio.sleep(0.1)
    entry = job.receipt.partition("#")[0]
    assert (await pending_owners(busy)).get(entry) == "busy"
    assert not await all_idle_for(busy, timeout / 2)  # kept fresh by the heartbeat
    await busy.complete(job)
    assert await busy.state("/orders:slow") is ClaimState.DONE


@pytest.mark.anyio
async def test_a_delivery_that_keeps_killing_workers_is_buried(
    make: Callable[..., RedisStore],
) -> None:
    store = make(visibility_timeout=0.05, max_reclaims=2)
    await store.admit(delivery("poison"))
    await store.take("w1", limit=1, wait=0)
    store._in_flight.clear()
    await asyncio.sleep(0.1)
    assert len(await store.take("w2", limit=1, wait=0)) == 1  # first takeover: runs again
    store._in_flight.clear()
    await asyncio.sleep(0.1)
    assert await store.take("w3", limit=1, wait=0) == []  # second takeover: buried
    [dead] = await store.dead_letters()
    assert dead.delivery.delivery_id == "poison" and "worker lost" in dead.error


@pytest.mark.anyio
async def test_replay_while_running_makes_the_old_job_stale(make: Callable[..., RedisStore]) -> None:
    store = make()
    await store.admit(delivery("a"))
    [old] = await store.take(CONSUMER, limit=1, wait=0)
    assert await store.replay("/orders:a") is True
    await store.bury(old, error="too late")  # the replay owns the claim now
    assert await store.state("/orders:a") is ClaimState.PENDING
    [new] = await store.take(CONSUMER, limit=1, wait=0)
    await store.complete(new)
    assert await store.state("/orders:a") is ClaimState.DONE
    assert await store.dead_letters() == []


@pytest.mark.anyio
async def test_take_recovers_when_redis_lost_the_inbox(make: Callable[..., RedisStore]) -> None:
    from hookreceiver import StoreUnavailable

    store = make()
    await store.admit(delivery("a"))
    assert len(await store.take(CONSUMER, limit=1, wait=0)) == 1
    await store.client.delete(store.inbox)  # as after a restart without persistence
    with pytest.raises(StoreUnavailable, match="NOGROUP"):
        await store.take(CONSUMER, limit=1, wait=0)
    await store.admit(delivery("b"))
    assert [j.delivery.delivery_id for j in await store.take(CONSUMER, limit=1, wait=0)] == ["b"]


async def pending_owners(store: RedisStore) -> dict[str, str]:
    """Entry id -> consumer for every entry in the group's pending list."""
    rows: list[dict[str, Any]] = await store.client.xpending_range(
        store.inbox, "workers", min="-", max="+", count=100
    )
    return {row["message_id"].decode(): row["consumer"].decode() for row in rows}


@pytest.mark.anyio
async def test_a_stalled_worker_cannot_settle_a_job_taken_over_and_completed(
    make: Callable[..., RedisStore],
) -> None:
    stalled, other = make(visibility_timeout=0.3), make(visibility_timeout=0.3)
    await stalled.admit(delivery("a"))
    [late] = await stalled.take("stalled", limit=1, wait=0)
    stalled._in_flight.clear()  # its event loop stalls: no heartbeat
    [job] = await take_when_due(other, "other")
    await other.complete(job)
    await stalled.bury(late, error="woke up late")  # the stale receipt changes nothing
    await stalled.retry(late, delay=0, error="woke up late")
    assert await other.state("/orders:a") is ClaimState.DONE
    assert await other.dead_letters() == []
    assert await other.take("other", limit=1, wait=0) == []


@pytest.mark.anyio
async def test_a_stalled_worker_leaves_the_new_owners_entry_alone(
    make: Callable[..., RedisStore],
) -> None:
    stalled, other = make(visibility_timeout=1.0), make(visibility_timeout=1.0)
    await stalled.admit(delivery("a"))
    [late] = await stalled.take("stalled", limit=1, wait=0)
    assert stalled._heartbeat is not None
    stalled._heartbeat.cancel()  # stalled: no heartbeat for longer than the visibility timeout
    [job] = await take_when_due(other, "other")
    assert other._heartbeat is not None
    other._heartbeat.cancel()  # only the stalled process's heartbeat acts from here on
    entry = job.receipt.partition("#")[0]
    assert entry in stalled._in_flight
    stalled._start_heartbeat()  # it wakes up: its heartbeat must not pull the entry back

    async def stalled_beat_gave_it_up() -> bool:  # its heartbeat ran, saw the takeover, let go
        return entry not in stalled._in_flight

    await wait_until(stalled_beat_gave_it_up, "the stalled worker's heartbeat drops the entry")
    assert (await pending_owners(other)).get(entry) == "other"
    await stalled.complete(late)  # stale: neither settles nor drops the new owner's entry
    assert await other.state("/orders:a") is ClaimState.PENDING
    assert (await pending_owners(other)).get(entry) == "other"
    await other.retry(job, delay=0, error="x")
    [again] = await other.take("other", limit=1, wait=0)
    assert again.delivery.attempt == 2


@pytest.mark.anyio
async def test_takeover_continues_from_the_cursor_past_busy_entries(
    make: Callable[..., RedisStore],
) -> None:
    timeout = 1.0
    busy, survivor = make(visibility_timeout=timeout), make(visibility_timeout=timeout)
    for i in range(12):
        await busy.admit(delivery(f"d-{i:02}"))
    jobs = await busy.take("busy", limit=12, wait=0)
    busy._in_flight.clear()

    async def abandoned() -> bool:
        return await all_idle_for(busy, timeout)

    await wait_until(abandoned, "all 12 entries are idle past the visibility timeout")
    # The first 11 are still being worked on (refreshed); only the last one was abandoned.
    ids: list[Any] = [job.receipt.partition("#")[0] for job in jobs]
    await busy.client.xclaim(busy.inbox, "workers", "busy", 0, ids[:11], justid=True)
    found: list[str] = []
    for _ in range(4):  # XAUTOCLAIM looks at ~10 entries per call: the cursor must move on
        survivor._last_reclaim = float("-inf")  # no throttle between these looks
        found += [j.delivery.delivery_id for j in await survivor.take("survivor", limit=1, wait=0)]
    assert found == ["d-11"]


@pytest.mark.anyio
async def test_dead_index_is_trimmed_past_retention(make: Callable[..., RedisStore]) -> None:
    clock = FakeClock()
    store = make(retention=100.0, clock=clock)
    await store.admit(delivery("old"))
    await store.bury((await store.take(CONSUMER, limit=1, wait=0))[0], error="x")
    clock.advance(101)
    await store.admit(delivery("new"))
    await store.bury((await store.take(CONSUMER, limit=1, wait=0))[0], error="y")
    assert await store.client.zrange(store.dead, 0, -1) == [b"/orders:new"]


@pytest.mark.anyio
async def test_a_finished_run_resets_the_worker_lost_count(make: Callable[..., RedisStore]) -> None:
    store = make(visibility_timeout=0.05, max_reclaims=2)
    await store.admit(delivery("flaky"))
    await store.take("w1", limit=1, wait=0)
    store._in_flight.clear()
    await asyncio.sleep(0.1)
    [job] = await store.take("w2", limit=1, wait=0)  # first takeover
    await store.retry(job, delay=0, error="handler failed, normally")  # a run that ended
    [job] = await store.take("w2", limit=1, wait=0)
    store._in_flight.clear()  # this worker dies too: a new streak of one, not the second
    await asyncio.sleep(0.1)
    [again] = await store.take("w3", limit=1, wait=0)
    assert again.delivery.attempt == 2 and await store.dead_letters() == []


def test_the_shared_flag_says_whether_other_processes_reach_the_store() -> None:
    assert RedisStore.shared is True


@pytest.mark.anyio
async def test_close_does_not_wait_forever_for_a_heartbeat_that_will_not_end(
    make: Callable[..., RedisStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cancel lost below us (redis-py can turn one into an error of its own) once left the
    heartbeat running and close() waiting on it for ever: the wait is bounded now."""
    from hookreceiver.stores.redis import taking

    store = make()
    await store.admit(delivery("hb-1"))
    assert await store.take(CONSUMER, limit=1, wait=0)  # the heartbeat runs from the first take
    taker = store._taker
    assert taker.heartbeat is not None
    taker.heartbeat.cancel()
    await asyncio.wait([taker.heartbeat])

    holding = True

    async def stubborn() -> None:  # swallows every cancel while holding, as the lost one did
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if not holding:
                    raise

    taker.heartbeat = asyncio.create_task(stubborn())
    monkeypatch.setattr(taking, "STOP_WAIT", 0.2)
    started = time.monotonic()
    await store.close()
    assert time.monotonic() - started < 2.0
    assert taker.stopping
    holding = False  # the test's own stubborn task: let it go
    taker.heartbeat.cancel()
    await asyncio.wait([taker.heartbeat])
    assert taker.heartbeat.cancelled()


@pytest.mark.anyio
async def test_the_heartbeat_ends_once_stopped_even_without_its_cancel(
    make: Callable[..., RedisStore],
) -> None:
    store = make(visibility_timeout=0.3)
    await store.admit(delivery("hb-2"))
    assert await store.take(CONSUMER, limit=1, wait=0)
    taker = store._taker
    assert taker.heartbeat is not None and not taker.heartbeat.done()
    taker.stopping = True  # no cancel: the loop sees the flag after its next sleep
    await asyncio.wait_for(taker.heartbeat, timeout=2.0)
    assert taker.heartbeat.done() and not taker.heartbeat.cancelled()
