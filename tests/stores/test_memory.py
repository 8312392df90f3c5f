"""MemoryStore: the Store contract, plus what only the embedded store promises (its size cap)."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import pytest

from hookreceiver import Admission, ClaimState, MemoryStore, Store, StoreUnavailable
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
        "waiting", "failing"}


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
            await anyio.sleep(0.01)
            await store.close()
    assert result == [[]]
    with pytest.raises(StoreUnavailable):
        await store.take(CONSUMER, limit=1, wait=0)


async def test_repr_shows_counts_not_contents() -> None:
    store = MemoryStore()
    await store.admit(delivery("a", payload={"type": "order.created", "token": SECRET}))
    assert repr(store) == "MemoryStore(records=1, ready=1)"
