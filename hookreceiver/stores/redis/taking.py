"""The worker side of a :class:`~hookreceiver.stores.redis.RedisStore`: taking jobs from the inbox.

A :class:`Taker` holds what one process knows of the jobs it runs: each running entry (consumer,
member, gen, run), the heartbeat task that keeps them fresh, and where the takeover scan
(XAUTOCLAIM) stands. ``take`` takes over entries idle past the visibility timeout, moves due
retries to the inbox, reads it (blocking up to MAX_BLOCK, or until the next retry falls due) and
starts each entry as a new run in one script (START). The store calls it inside its error guard,
once the consumer group exists, and drops an entry from ``in_flight`` when its outcome is settled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from hookreceiver.exceptions import StoreError
from hookreceiver.stores.base import Job
from hookreceiver.stores.codec import load_delivery
from hookreceiver.stores.redis import keys as layout
from hookreceiver.stores.redis.connect import MAX_BLOCK
from hookreceiver.stores.redis.keys import scrub
from hookreceiver.stores.redis.parts import StoreParts, text

__all__ = ["Entry", "Taker", "entries"]

log = logging.getLogger("hookreceiver.redis")

Entry = tuple[str, dict[bytes, Any], bool]  # (entry id, fields, reclaimed)
STOP_WAIT = 5.0  # seconds close() waits for the heartbeat task to end


class Taker:
    """Takes jobs for one store and keeps this process's running jobs fresh (see the module)."""

    def __init__(self, store: StoreParts) -> None:
        self.store = store
        # entry id -> (consumer, member, gen, run) of each running job, refreshed by the heartbeat
        self.in_flight: dict[str, tuple[str, str, str, str]] = {}
        self.heartbeat: asyncio.Task[None] | None = None
        self.stopping = False  # set by stop(): the heartbeat ends even if its cancel was swallowed
        self.last_reclaim = 0.0
        self.reclaim_cursor = "0-0"

    async def take(self, consumer: str, *, limit: int, wait: float) -> list[Job]:
        """Up to ``limit`` jobs for ``consumer``, waiting up to ``wait`` seconds for one."""
        self.start_heartbeat()
        now = self.store.clock()
        entries = await self.reclaim(consumer, limit)
        if len(entries) < limit:
            entries += await self.promote_and_read(consumer, limit - len(entries), now)
        if not entries and wait > 0:
            budget = await self.wait_budget(min(wait, MAX_BLOCK), now)
            if budget > 0:
                entries = await self.read(consumer, limit, budget)
            if not entries:
                await self.promote(self.store.clock())
                entries = await self.read(consumer, limit, None)
        return await self.start(consumer, entries)

    async def promote(self, now: float, due: list[Any] | None = None) -> int:
        """Move due retries to the inbox (``due``: the members found due already, if known)."""
        store = self.store
        if due is None:
            due = await store.client.zrangebyscore(store.delayed, "-inf", repr(now), start=0, num=100)
        if not due:
            return 0
        members = [text(m) for m in due]
        moved: int = await store.run_script(
            "PROMOTE", [store.delayed, store.inbox, *map(store.claim_key, members)], [repr(now), *members]
        )
        return moved

    async def promote_and_read(self, consumer: str, count: int, now: float) -> list[Entry]:
        """One round trip when no retry is due: look for due retries and read the inbox at once."""
        store = self.store
        pipe = store.client.pipeline(transaction=False)
        pipe.zrangebyscore(store.delayed, "-inf", repr(now), start=0, num=100)
        pipe.xreadgroup(layout.GROUP, consumer, {store.inbox: ">"}, count=count)
        due, reply = await pipe.execute()
        found = entries(reply)
        if await self.promote(now, due) and len(found) < count:
            found += await self.read(consumer, count - len(found), None)  # those just moved
        return found

    async def wait_budget(self, wait: float, now: float) -> float:
        """How long a blocking read may wait: ``wait``, or less if a retry falls due sooner."""
        first = await self.store.client.zrange(self.store.delayed, 0, 0, withscores=True)
        if first:
            return min(wait, max(0.0, float(first[0][1]) - now))
        return wait

    async def reclaim(self, consumer: str, limit: int) -> list[Entry]:
        """Take over entries idle past the visibility timeout (at most every quarter of it)."""
        store = self.store
        if time.monotonic() - self.last_reclaim < store.visibility_timeout / 4:
            return []
        self.last_reclaim = time.monotonic()
        idle = max(1, int(store.visibility_timeout * 1000))
        reply: Any = await store.client.xautoclaim(
            store.inbox, layout.GROUP, consumer, idle, self.reclaim_cursor, count=limit
        )
        self.reclaim_cursor = text(reply[0])  # "0-0" again once the whole list was scanned
        found = [(text(entry_id), fields or {}, True) for entry_id, fields in reply[1]]
        if found:
            log.warning("took over %d deliveries from stopped workers consumer=%s", len(found), consumer)
        return found

    async def read(self, consumer: str, count: int, block: float | None) -> list[Entry]:
        """Read new inbox entries, blocking up to ``block`` seconds on the reader's own pool."""
        block_ms = None if block is None else max(1, int(block * 1000))
        client = self.store.client if block is None else self.store.reader
        reply: Any = await client.xreadgroup(
            layout.GROUP, consumer, {self.store.inbox: ">"}, count=count, block=block_ms
        )
        return entries(reply)

    async def start(self, consumer: str, found: list[Entry]) -> list[Job]:
        """Start each entry as a new run (script START) and make its job; a corrupt one is acked."""
        if not found:
            return []
        store = self.store
        now, expires, ttl = store.times()
        keys = [store.inbox, store.dead]
        args: list[Any] = [layout.GROUP, repr(now), expires, ttl, store.max_reclaims, repr(store.retention)]
        args.append(len(store.claim_key("")))
        members: dict[str, str] = {}
        for entry_id, fields, reclaimed in found:
            member = members[entry_id] = text(fields.get(b"k", b"-"))
            keys.append(store.claim_key(member))
            args.append(f"{entry_id}|{text(fields.get(b'g', b'-'))}|{int(reclaimed)}")
        keys.append(store.stats_key)
        jobs: list[Job] = []
        for entry_id, gen, attempt, data, run in await store.run_script("START", keys, args):
            entry, generation = text(entry_id), text(gen)
            try:
                delivery = load_delivery(data, attempt=int(attempt))
            except StoreError as exc:
                log.error("dropping corrupt inbox entry %s: %s", entry, exc)
                await store.client.xack(store.inbox, layout.GROUP, entry)
                continue
            self.in_flight[entry] = (consumer, members[entry], generation, str(run))
            jobs.append(Job(delivery, receipt=f"{entry}#{generation}#{run}"))
        return jobs

    def start_heartbeat(self) -> None:
        """Start the heartbeat task unless it runs already."""
        if self.heartbeat is None or self.heartbeat.done():
            self.heartbeat = asyncio.create_task(self.beat(), name="hookreceiver-redis-heartbeat")

    async def beat(self) -> None:
        """Keep this process's running jobs fresh so no other worker takes them over; forget
        those another worker took over meanwhile (their ``run`` moved on). Never dies."""
        store = self.store
        task = asyncio.current_task()
        while not self.stopping:
            await asyncio.sleep(store.visibility_timeout / 3)
            running = list(self.in_flight.items())
            if not running:
                continue
            keys, args = [store.inbox], [layout.GROUP]
            for entry_id, (consumer, member, gen, run) in running:
                keys.append(store.claim_key(member))
                args += [entry_id, consumer, gen, run]
            try:
                for entry_id in await store.run_script("BEAT", keys, args):
                    self.in_flight.pop(text(entry_id), None)
            except Exception as exc:  # the next beat tries again; a takeover is the fallback
                if task is not None and task.cancelling():
                    # redis-py can answer a cancel in the middle of a command with an error of its
                    # own: the cancel is still meant, and swallowing it made close() wait forever.
                    raise asyncio.CancelledError from exc
                log.warning("heartbeat failed: %s: %s", type(exc).__name__, scrub(str(exc)))

    async def stop(self) -> None:
        """Stop the heartbeat (on close)."""
        self.stopping = True
        if self.heartbeat is not None:
            self.heartbeat.cancel()
            # Bounded: a heartbeat that does not end (its cancel lost somewhere below us) must
            # not hold up the store's close, and with it the whole process's shutdown.
            await asyncio.wait([self.heartbeat], timeout=STOP_WAIT)


def entries(reply: Any) -> list[Entry]:
    """An XREADGROUP reply (RESP2 list or RESP3 dict) as (entry id, fields, reclaimed) triples."""
    streams = reply.items() if isinstance(reply, dict) else (reply or [])
    return [(text(entry_id), fields or {}, False) for _, messages in streams for entry_id, fields in messages]
