"""Coalescing: the calls made during one event-loop tick go to the backend as one batch.

Under load many requests (or many finished jobs) reach the store at once, each wanting one round
trip. A :class:`Coalescer` queues each call, and on the next turn of the event loop hands
everything queued so far (up to ``max_batch`` items per batch) to one ``run_batch`` call; each
caller then gets its own result or its own exception. Nothing returns before its batch has run:
a caller admitting a delivery still hears back only after the backend stored it. When the loop
is idle a batch holds one item, and the only delay is that one turn of the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["Coalescer"]

T = TypeVar("T")
R = TypeVar("R")

BatchRunner = Callable[[Sequence[T]], Awaitable[Sequence[R | BaseException]]]


class Coalescer(Generic[T, R]):
    """Batches the ``submit`` calls of one loop tick into ``run_batch`` calls.

    ``run_batch`` gets the items in submission order and returns one result per item, in the
    same order; an item's result may be an exception, raised to that item's caller alone. If
    ``run_batch`` itself raises, every caller of that batch gets the error.
    """

    def __init__(self, run_batch: BatchRunner[T, R], *, max_batch: int = 256) -> None:
        self._run_batch = run_batch
        self.max_batch = max_batch
        self._queued: list[tuple[T, asyncio.Future[R]]] = []
        self._flushing = False
        self._running: set[asyncio.Task[None]] = set()  # strong references until each ends

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._queued.append((item, future))
        if not self._flushing:
            self._flushing = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._flushing = False
        queued, self._queued = self._queued, []
        for start in range(0, len(queued), self.max_batch):
            task = asyncio.ensure_future(self._run(queued[start : start + self.max_batch]))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._run_batch([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} got {len(results)} results")
        except BaseException as exc:  # every caller of the batch hears of it, then it propagates
            for _, future in batch:
                if future.done():
                    continue
                if isinstance(exc, asyncio.CancelledError):
                    future.cancel()
                else:
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # its caller was cancelled; the item was processed all the same
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
