"""Coalescer: the calls of one event-loop tick run as one batch, each caller gets its own answer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from hookreceiver.stores.coalesce import Coalescer

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Backend:
    """Doubles each item; an item of ``-1`` fails alone, ``-2`` fails the whole batch."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    async def run(self, items: Sequence[int]) -> list[int | BaseException]:
        self.batches.append(list(items))
        await asyncio.sleep(0)  # a round trip
        if -2 in items:
            raise ConnectionError("backend down")
        return [ValueError(f"bad {i}") if i == -1 else 2 * i for i in items]


async def test_concurrent_calls_share_one_batch_and_get_their_own_results() -> None:
    backend = Backend()
    coalescer = Coalescer(backend.run)
    results = await asyncio.gather(*(coalescer.submit(i) for i in range(10)))
    assert results == [2 * i for i in range(10)]
    assert backend.batches == [list(range(10))]


async def test_calls_on_later_ticks_make_later_batches() -> None:
    backend = Backend()
    coalescer = Coalescer(backend.run)
    assert await coalescer.submit(1) == 2
    assert await coalescer.submit(2) == 4
    assert backend.batches == [[1], [2]]


async def test_an_item_that_fails_fails_only_its_caller() -> None:
    coalescer = Coalescer(Backend().run)
    results = await asyncio.gather(*(coalescer.submit(i) for i in (1, -1, 3)), return_exceptions=True)
    assert results[0] == 2 and results[2] == 6
    assert isinstance(results[1], ValueError)


async def test_a_failed_batch_fails_every_caller_of_that_batch() -> None:
    coalescer = Coalescer(Backend().run)
    results = await asyncio.gather(*(coalescer.submit(i) for i in (1, -2, 3)), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    assert await coalescer.submit(4) == 8  # the next batch is unaffected


async def test_batches_are_cut_at_max_batch() -> None:
    backend = Backend()
    coalescer = Coalescer(backend.run, max_batch=4)
    assert await asyncio.gather(*(coalescer.submit(i) for i in range(10))) == [2 * i for i in range(10)]
    assert backend.batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


async def test_a_cancelled_caller_leaves_the_others_their_answers() -> None:
    backend = Backend()
    coalescer = Coalescer(backend.run)
    first = asyncio.ensure_future(coalescer.submit(1))
    second = asyncio.ensure_future(coalescer.submit(2))
    await asyncio.sleep(0)  # both queued; the batch is about to run
    first.cancel()
    assert await second == 4
    with pytest.raises(asyncio.CancelledError):
        await first
    assert backend.batches == [[1, 2]]  # the cancelled item was still sent (like a sent command)


async def test_a_wrong_number_of_results_is_an_error_for_every_caller() -> None:
    async def short(items: Sequence[int]) -> list[int | BaseException]:
        return [0]

    coalescer: Coalescer[int, int] = Coalescer(short)
    results = await asyncio.gather(coalescer.submit(1), coalescer.submit(2), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
