"""FrozenClock: stands still until moved, and drives a receiver's replay window and a store's TTLs."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from hookreceiver import Admission, MemoryStore
from hookreceiver.testing.clock import FROZEN_AT, FrozenClock
from tests.helpers import delivery

pytestmark = pytest.mark.anyio


def test_it_starts_at_the_instant_the_samples_use_and_stands_still() -> None:
    assert datetime.fromtimestamp(FROZEN_AT, UTC).isoformat() == "2023-11-14T22:13:20+00:00"
    clock = FrozenClock()
    first = clock()
    time.sleep(0.01)
    assert first == clock() == FROZEN_AT


@pytest.mark.parametrize(
    ("start", "moves", "end"),
    [(FROZEN_AT, [10.0], FROZEN_AT + 10), (0, [1.5, -0.5], 1.0), (5, [], 5.0), (100, [-100], 0.0)],
)
def test_advance_moves_it_by_exactly_that(start: float, moves: list[float], end: float) -> None:
    clock = FrozenClock(start)
    for seconds in moves:
        clock.advance(seconds)
    assert clock() == end and isinstance(clock(), float)


def test_set_and_repr() -> None:
    clock = FrozenClock(at=1)
    assert repr(clock) == "FrozenClock(at=1.0)"
    clock.set(42)
    assert clock() == 42.0 and repr(clock) == "FrozenClock(at=42.0)"


async def test_it_drives_a_store_s_retention() -> None:
    clock = FrozenClock()
    store = MemoryStore(retention=10, clock=clock)
    await store.admit(delivery("a"))
    await store.complete((await store.take("c", limit=1, wait=0))[0])
    clock.advance(9)
    assert await store.admit(delivery("a")) is Admission.DUPLICATE
    clock.advance(2)
    assert await store.admit(delivery("a")) is Admission.ACCEPTED


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
