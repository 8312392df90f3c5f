"""The body-read deadline on asyncio, shared by all the reads of one event loop.

``asyncio.timeout`` arms a timer when a read starts and disarms it when it ends: on a small body,
which arrives with its headers, that was the costliest step of the whole read. Here a read
only notes its task and its deadline in a dict; one sweeper task per loop, alive while reads are
in progress, wakes every ``TICK`` seconds and cancels the reads past their deadline. A read so
cancelled sees ``CancelledError`` at its ``await``, takes the cancellation back
(``Task.uncancel``) and answers 408; any other cancellation passes through as it came. A
deadline is kept to within ``TICK``.
"""

from __future__ import annotations

import asyncio
import weakref

__all__ = ["TICK", "Deadlines", "deadlines"]

TICK = 0.05  # seconds between the sweeper's looks: how late a deadline may fire


class Deadlines:
    """The reads in progress on one loop (task -> deadline) and the sweeper enforcing them.

    A read calls ``start`` before its first ``await``, ``timed_out`` when it sees
    ``CancelledError`` and ``finish`` when it ends, however it ends.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.reads: dict[asyncio.Task[object], float] = {}
        # cancelled by the sweeper -> how many cancellations the task had before its read began
        self.expired: dict[asyncio.Task[object], int] = {}
        self.sweeper: asyncio.Task[None] | None = None

    def start(self, task: asyncio.Task[object], timeout: float) -> None:
        self.reads[task] = self.loop.time() + timeout
        if self.sweeper is None:
            self.sweeper = self.loop.create_task(self._sweep())

    def timed_out(self, task: asyncio.Task[object]) -> bool:
        """Whether the ``CancelledError`` ``task`` sees is its deadline's (then taken back), not
        a cancellation of its own that must go on (also when both happened)."""
        before = self.expired.pop(task, None)
        if before is None:
            return False
        return task.uncancel() <= before

    def finish(self, task: asyncio.Task[object]) -> None:
        self.reads.pop(task, None)
        self.expired.pop(task, None)

    async def _sweep(self) -> None:
        try:
            while self.reads:
                await asyncio.sleep(TICK)
                now = self.loop.time()
                for task in [task for task, deadline in self.reads.items() if deadline <= now]:
                    self.expire(task)
        finally:
            self.sweeper = None

    def expire(self, task: asyncio.Task[object]) -> None:
        """Cancel ``task``'s read: its deadline has passed."""
        del self.reads[task]
        self.expired[task] = task.cancelling()
        task.cancel()


_LOOPS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Deadlines] = weakref.WeakKeyDictionary()


def deadlines(loop: asyncio.AbstractEventLoop) -> Deadlines:
    """The body-read deadlines of ``loop``."""
    found = _LOOPS.get(loop)
    if found is None:
        found = _LOOPS[loop] = Deadlines(loop)
    return found
