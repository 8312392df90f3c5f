"""MemoryStore: the Store contract, plus what only the embedded store promises (its size cap)."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import pytest

from hookreceiver import Admission, ClaimState, Delivery, MemoryStore, Store, StoreUnavailable
from tests.helpers import SECRET, FakeClock, delivery
from tests.stores.contract import CONSUMER, StoreContract

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class TestMemoryStore(StoreContract):
    async def make_store(self, clock: Callable[[], float]) -> Store:
        return MemoryStore(retention=self.retention, clock=clock)


async def drain(store: MemoryStore) -> None:
    for job in await store.take(CONSUMER, limit=100, wait=0):
        await store.complete(job)


async def test_full_of_live_deliveries_refuses_with_store_unavailable() -> None:
    store = MemoryStore(max_entries=2, clock=FakeClock())
    await store.admit(delivery("a"))
    await store.admit(delivery("b"))
    with pytest.raises(StoreUnavailable, match="full"):
        await store.admit(delivery("c"))
    assert await store.admit(delivery("a")) is Admission.DUPLICATE  # known keys still answer


async def test_size_cap_drops_oldest_settled_records_first() -> None:
    clock = FakeClock()
    store = MemoryStore(max_entries=3, clock=clock)
    for name in ("a", "b", "c"):
        await store.admit(delivery(name))
        clock.advance(1)
    await drain(store)
    assert await store.admit(delivery("d")) is Admission.ACCEPTED
    assert await store.state("/orders:a") is None  # the oldest settled one made room
    assert await store.state("/orders:b") is ClaimState.DONE
    assert await store.state("/orders:d") is ClaimState.PENDING
    assert len(store._records) <= store.max_entries


async def test_size_cap_never_drops_live_records() -> None:
    store = MemoryStore(max_entries=3, clock=FakeClock())
    await store.admit(delivery("live-1"))
    await store.admit(delivery("done"))
    jobs = await store.take(CONSUMER, limit=10, wait=0)
    await store.complete(next(j for j in jobs if j.delivery.delivery_id == "done"))
    await store.admit(delivery("live-2"))
    await store.admit(delivery("live-3"))  # pushes out "done", not a live one
    assert await store.state("/orders:done") is None
    with pytest.raises(StoreUnavailable):
        await store.admit(delivery("live-4"))
    for name in ("live-1", "live-2", "live-3"):
        assert await store.state(f"/orders:{name}") is ClaimState.PENDING


async def test_live_records_outlive_retention() -> None:
    clock = FakeClock()
    store = MemoryStore(retention=10, clock=clock)
    await store.admit(delivery("waiting"))
    await store.admit(delivery("failing"))
    jobs = {j.delivery.delivery_id: j for j in await store.take(CONSUMER, limit=10, wait=0)}
    await store.release(jobs["waiting"])
    await store.retry(jobs["failing"], delay=100, error="x")
    clock.advance(50)
    assert await store.state("/orders:waiting") is ClaimState.PENDING
    assert await store.state("/orders:failing") is ClaimState.FAILED
    clock.advance(51)
    assert {j.delivery.delivery_id for j in await store.take(CONSUMER, limit=10, wait=0)} == {
        "waiting",
        "failing",
    }


async def test_expired_record_is_forgotten_and_can_be_admitted_again() -> None:
    clock = FakeClock()
    store = MemoryStore(retention=10, clock=clock)
    await store.admit(delivery("a"))
    await drain(store)
    clock.advance(9)
    assert await store.admit(delivery("a")) is Admission.DUPLICATE
    clock.advance(2)
    assert await store.admit(delivery("a")) is Admission.ACCEPTED


async def test_close_wakes_a_waiting_take() -> None:
    store = MemoryStore()
    result: list[object] = []

    async def waiter() -> None:
        result.append(await store.take(CONSUMER, limit=1, wait=60))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(waiter)
            await anyio.wait_all_tasks_blocked()  # the waiter is parked inside take()
            assert result == []
            await store.close()
    assert result == [[]]
    with pytest.raises(StoreUnavailable):
        await store.take(CONSUMER, limit=1, wait=0)


async def test_repr_shows_counts_not_contents() -> None:
    store = MemoryStore()
    await store.admit(delivery("a", payload={"type": "order.created", "token": SECRET}))
    assert repr(store) == "MemoryStore(records=1, ready=1)"


def big(name: str, size: int) -> Delivery:
    """A delivery whose body is about ``size`` bytes."""
    return delivery(name, payload={"type": "order.created", "pad": "x" * size})


async def test_byte_budget_refuses_when_live_records_fill_it() -> None:
    # Each 100 kB body counts about 200 kB (raw bytes and decoded payload): two fit in 500 kB.
    store = MemoryStore(max_bytes=500_000, clock=FakeClock())
    await store.admit(big("a", 100_000))
    await store.admit(big("b", 100_000))
    with pytest.raises(StoreUnavailable, match="bytes"):
        await store.admit(big("c", 100_000))
    with pytest.raises(StoreUnavailable, match="bytes"):
        await store.record(big("c", 100_000))
    assert await store.admit(delivery("small")) is Admission.ACCEPTED  # a small one still fits
    assert await store.admit(big("a", 100_000)) is Admission.DUPLICATE


async def test_byte_budget_drops_oldest_settled_records_first() -> None:
    clock = FakeClock()
    store = MemoryStore(max_bytes=700_000, clock=clock)
    for name in ("a", "b", "c"):
        await store.admit(big(name, 100_000))
        clock.advance(1)
    await drain(store)
    await store.admit(big("live", 100_000))  # room for one more made by dropping "a" only
    assert await store.state("/orders:a") is None
    assert await store.state("/orders:b") is ClaimState.DONE
    assert await store.state("/orders:c") is ClaimState.DONE
    assert await store.state("/orders:live") is ClaimState.PENDING


async def test_byte_budget_counts_purged_and_expired_records_as_freed() -> None:
    clock = FakeClock()
    store = MemoryStore(max_bytes=500_000, retention=10, max_entries=100, clock=clock)
    for round_ in range(20):  # 20 x 200 kB through a 500 kB budget: only freed bytes make room
        await store.admit(big(f"d-{round_}", 100_000))
        [job] = await store.take(CONSUMER, limit=1, wait=0)
        if round_ % 2:
            await store.bury(job, error="boom")
            assert await store.purge_dead() == 1
        else:
            await store.complete(job)
            clock.advance(11)  # past retention: forgotten on the next admission
    assert not store._records  # the last one was purged


async def test_replays_under_fresh_ids_stay_within_the_budget() -> None:
    # The audit's probe: one big signed body replayed under fresh delivery ids, handled each time.
    store = MemoryStore(max_bytes=1_000_000, clock=FakeClock())
    for n in range(50):
        await store.admit(big(f"r-{n}", 100_000))
        [job] = await store.take(CONSUMER, limit=1, wait=0)
        await store.complete(job)
    kept = len(store._records)
    assert kept <= 5  # about 200 kB each: the oldest settled ones were dropped
    assert await store.state("/orders:r-49") is ClaimState.DONE


def test_the_shared_flag_says_whether_other_processes_reach_the_store() -> None:
    assert MemoryStore.shared is False
