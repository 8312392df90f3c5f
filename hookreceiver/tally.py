"""Rejection counters for ``hookreceiver stats``: refused requests, counted by reason in the store.

Rejections happen in the ASGI layer, before anything reaches the store, and a burst of them (a
scanner, a misconfigured secret) must not turn into a burst of store writes. So the ASGI app
hands each one to a :class:`RejectionTally`, which adds it to a local count and keeps at most one
write in flight: ``Store.count_rejected`` with everything counted since the last write. A write
that fails (the store is down) keeps its counts for the next one; counts still unwritten when
the process exits are lost, so the counters are a close lower bound, not an audit log.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from hookreceiver.exceptions import StoreError
from hookreceiver.stores.base import Store

__all__ = ["RejectionTally"]

log = logging.getLogger("hookreceiver")


class RejectionTally:
    """Counts rejections by reason and writes them to ``store``, one write at a time."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.pending: Counter[str] = Counter()
        self._writing: asyncio.Task[None] | None = None

    def add(self, reason: str) -> None:
        """Count one rejection; starts a write unless one is running (call on the event loop)."""
        self.pending[reason] += 1
        if self._writing is None or self._writing.done():
            self._writing = asyncio.get_running_loop().create_task(self._write())

    async def flush(self) -> None:
        """Wait for the running write, then write what is left (at shutdown, and in tests)."""
        if self._writing is not None:
            await self._writing
        await self._write()

    async def _write(self) -> None:
        while self.pending:
            counts, self.pending = self.pending, Counter()
            try:
                await self.store.count_rejected(counts)
            except StoreError as exc:
                self.pending.update(counts)  # kept for the next write
                log.debug("rejection counts not stored: %s", exc)
                return
