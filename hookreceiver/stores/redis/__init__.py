"""RedisStore: dedupe claims and a durable inbox in Redis, shared by every web process and worker.

Theory of operation
-------------------
Every key lives under ``hookreceiver:{<namespace>}:`` — the braces are a Redis Cluster hash tag, so
all keys of one store sit in one slot and every script below may touch several of them::

    KEY (prefix + ...)   TYPE     TTL                     WHAT
    claim:<member>       hash     none while live;        one delivery: state, gen, attempt, the
                                  RETENTION once settled  exact delivery bytes, last error
    inbox                stream   -                       entries {k: member, g: gen} to run now,
                                                          read through the consumer group GROUP
    delayed              zset     -                       member -> due time of a retry
    dead                 zset     -                       member -> time it was buried
    settled              zset     -                       member -> time it was done (size cap)
    stats                hash     none                    cumulative counters (``stats``): admitted,
                                                          duplicates, unrouted, handled, failed,
                                                          dead, rejected:<reason>

``<member>`` is ``endpoint:delivery_id`` percent-encoded (no braces, spaces or ``%`` survive, so
text from a sender cannot move the hash tag; see keys.py), shortened with a hash past 200 chars.

States of a claim and how long each lasts::

    pending   admitted or being run: lives until a worker settles it (no TTL)
    failed    a run failed; waits in ``delayed`` until due, then back to the inbox (no TTL)
    done      handled; a duplicate is refused for RETENTION (default 3 days), then forgotten
    dead      buried after the last attempt; kept RETENTION for ``dead-letters`` and ``replay``

Admission is one script (one round trip): refuse if the claim is pending or done, else write the
claim with the delivery bytes and XADD a reference to the inbox. A failed claim re-admitted by a
provider redelivery runs now (its scheduled retry is removed); a dead one starts again at attempt 1.
Every enqueue bumps ``gen``; an inbox entry with an older ``gen`` is stale and dropped unrun.
``record`` (a delivery no handler wants) writes the claim straight into ``done`` with its bytes.

Workers XREADGROUP the inbox; an entry stays in the group's pending list until its outcome is
settled. Starting a job bumps the claim's ``run``; the receipt carries ``gen`` and ``run``. While a
job runs, this process refreshes its entries (script BEAT: XCLAIM to itself, only while its run
is current) every third of VISIBILITY_TIMEOUT; a worker that dies or stalls stops refreshing and,
after VISIBILITY_TIMEOUT, another worker takes the entry over with XAUTOCLAIM (resuming from its
cursor) and runs it again as a new ``run``: the stalled worker's late outcome is refused. After
MAX_RECLAIMS takeovers in a row (a finished run resets the count) the delivery is buried ("worker
lost"). Due retries move from ``delayed`` to the inbox by script. ``dead`` and ``settled`` are
trimmed to the retention whenever they grow.

At most MAX_RETAINED done claims are kept; past that the oldest are dropped early. Every Redis
error (any ``redis.exceptions`` type, cluster ones included, or a socket error or timeout) becomes
``StoreUnavailable`` (the sender gets a 503); messages never carry the URL. Commands time out
after ``timeout`` (3 s) without retrying, blocking reads use their own pool (connect.py).

The package: ``keys`` (key names, TTL defaults), ``scripts`` (the Lua), ``connect`` (URLs and
clients), ``parts`` (the ``StoreParts`` protocol the helper modules are typed against, shared
small helpers), ``taking`` (the worker side: take, takeover, start, heartbeat), ``dead_letters``
(listing, replay, purge), ``inspection`` (describe, stats and the counters) and this module (the
store itself: admission, outcomes, the error guard).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ResponseError

from hookreceiver.core.delivery import Delivery
from hookreceiver.exceptions import StoreUnavailable
from hookreceiver.stores.base import Admission, Claim, ClaimState, DeadLetter, Job, StoreStats
from hookreceiver.stores.coalesce import Coalescer
from hookreceiver.stores.codec import dump_delivery, load_delivery
from hookreceiver.stores.redis import dead_letters, inspection
from hookreceiver.stores.redis import keys as layout  # key names and defaults
from hookreceiver.stores.redis import scripts as lua
from hookreceiver.stores.redis.connect import FAILURES, connect, plan
from hookreceiver.stores.redis.keys import key_prefix, member_for, scrub, split_receipt
from hookreceiver.stores.redis.parts import expired, text
from hookreceiver.stores.redis.taking import Taker

__all__ = ["RedisStore", "key_prefix", "member_for"]  # the two helpers are re-exported

log = logging.getLogger("hookreceiver.redis")


class RedisStore:
    """A Store on Redis or Redis Cluster; see the module docstring for keys, states and TTLs."""

    shared = True  # every process that connects to the same Redis and namespace sees one store

    def __init__(
        self,
        client: Redis | RedisCluster,
        *,
        reader: Redis | RedisCluster | None = None,
        namespace: str = layout.DEFAULT_NAMESPACE,
        retention: float = layout.RETENTION,
        visibility_timeout: float = layout.VISIBILITY_TIMEOUT,
        max_retained: int = layout.MAX_RETAINED,
        max_reclaims: int = layout.MAX_RECLAIMS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.reader = reader if reader is not None else client  # for blocking reads
        self.namespace = namespace
        self.prefix = key_prefix(namespace)
        self.retention = retention
        self.visibility_timeout = visibility_timeout
        self.max_retained = max_retained
        self.max_reclaims = max_reclaims
        self.clock = clock
        self.inbox, self.delayed = self.prefix + layout.INBOX, self.prefix + layout.DELAYED
        self.dead, self.settled = self.prefix + layout.DEAD, self.prefix + layout.SETTLED
        self.stats_key = self.prefix + layout.STATS
        self._scripts = {name: client.register_script(getattr(lua, name)) for name in lua.__all__}
        self._group_ready = False
        self._closed = False
        self._taker = Taker(self)  # the running jobs, their heartbeat and the takeover scan
        self._cluster_lock = asyncio.Lock() if isinstance(client, RedisCluster) else None
        # The admissions and the outcomes of one event-loop tick go to Redis as one script call.
        self._admissions: Coalescer[tuple[str, bytes], int] = Coalescer(self._admit_batch)
        self._outcomes: Coalescer[tuple[str, str, str], int] = Coalescer(self._settle_batch)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        retention: float = layout.RETENTION,
        clock: Callable[[], float] = time.time,
        **options: Any,
    ) -> RedisStore:
        """Connect to ``redis://``, ``rediss://`` (TLS), ``unix://`` or ``redis+cluster://`` /
        ``rediss+cluster://`` (Redis Cluster). Store options may ride in the query string:
        ``?namespace=orders&visibility_timeout=30&max_retained=50000&timeout=2``."""
        how = plan(
            url,
            namespace=layout.DEFAULT_NAMESPACE,
            visibility_timeout=layout.VISIBILITY_TIMEOUT,
            max_retained=layout.MAX_RETAINED,
            options=options,
        )
        return cls(
            connect(how, blocking=False),
            reader=connect(how, blocking=True),
            retention=retention,
            clock=clock,
            **how.store_options,
        )

    def __repr__(self) -> str:
        kind = "cluster" if isinstance(self.client, RedisCluster) else "redis"
        return f"RedisStore(namespace={self.namespace!r}, {kind})"

    # -- plumbing ---------------------------------------------------------------------------

    def claim_key(self, member: str) -> str:
        return self.prefix + layout.CLAIM + member

    def batch_keys(self, members: Sequence[str]) -> list[str]:
        """The keys of ADMIT and SETTLE: the shared ones, then each member's claim."""
        shared = [self.inbox, self.delayed, self.dead, self.settled, self.stats_key]
        return shared + [self.claim_key(member) for member in members]

    def keys_for(self, member: str) -> list[str]:
        """The keys a script that moves one claim between states touches, in the scripts' order."""
        return [self.claim_key(member), self.inbox, self.delayed, self.dead, self.settled, self.stats_key]

    def times(self) -> tuple[float, str, int]:
        """Now, the expiry of a claim settled now (as script text) and the retention TTL."""
        now = self.clock()
        return now, repr(now + self.retention), max(1, math.ceil(self.retention))

    @contextlib.asynccontextmanager
    async def guard(self, operation: str) -> AsyncIterator[None]:
        """Translate every Redis failure at the boundary: nothing from ``redis`` escapes."""
        if self._closed:
            raise StoreUnavailable("the redis store is closed")
        try:
            if self._cluster_lock is not None:
                await self._initialize_cluster()
            yield
        except FAILURES as exc:
            if "NOGROUP" in str(exc):
                self._group_ready = False  # Redis lost the stream (restart without persistence)
            detail = f"{type(exc).__name__}: {scrub(str(exc))}"
            log.error("redis unavailable during %s namespace=%s: %s", operation, self.namespace, detail)
            raise StoreUnavailable(f"redis unavailable during {operation}: {detail}") from None

    async def _initialize_cluster(self) -> None:
        # redis-py's cluster client breaks when many commands race to discover the cluster at
        # once (a connection is reset under another task), so discovery runs once, up front.
        assert self._cluster_lock is not None and isinstance(self.client, RedisCluster)
        async with self._cluster_lock:
            if self._cluster_lock is not None:
                for client in {id(c): c for c in (self.client, self.reader)}.values():
                    assert isinstance(client, RedisCluster)
                    await client.initialize()
                self._cluster_lock = None

    async def run_script(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """Run the Lua script ``name`` of :mod:`.scripts` (call inside :meth:`guard`)."""
        return await self._scripts[name](keys=list(keys), args=list(args))

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            await self.client.xgroup_create(self.inbox, layout.GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    # -- admission and reading ----------------------------------------------------------------

    async def admit(self, delivery: Delivery) -> Admission:
        # Coalesced with the admissions of concurrent requests; answered once Redis stored it.
        accepted = await self._admissions.submit((member_for(delivery.key), dump_delivery(delivery)))
        return Admission.ACCEPTED if accepted else Admission.DUPLICATE

    async def _admit_batch(self, items: Sequence[tuple[str, bytes]]) -> list[int]:
        now, expires, _ = self.times()
        args: list[Any] = [repr(now), expires]
        for member, data in items:
            args += [member, data]
        async with self.guard("admit"):
            result: list[int] = await self.run_script("ADMIT", self.batch_keys([m for m, _ in items]), args)
        return result

    async def record(self, delivery: Delivery) -> Admission:
        member = member_for(delivery.key)
        now, expires, ttl = self.times()
        async with self.guard("record"):
            settled = await self.run_script(
                "RECORD",
                [self.claim_key(member), self.settled, self.stats_key],
                [member, repr(now), expires, dump_delivery(delivery), ttl, repr(self.retention)],
            )
        if not settled:
            return Admission.DUPLICATE
        await self._evict(int(settled))
        return Admission.ACCEPTED

    async def state(self, key: str) -> ClaimState | None:
        async with self.guard("state"):
            state, expires = await self.client.hmget(self.claim_key(member_for(key)), ["state", "expires"])
        if state is None or expired(state, expires, self.clock):
            return None
        return ClaimState(text(state))

    async def get(self, key: str) -> Delivery | None:
        async with self.guard("get"):
            state, expires, attempt, data = await self.client.hmget(
                self.claim_key(member_for(key)), ["state", "expires", "attempt", "delivery"]
            )
        if state is None or data is None or expired(state, expires, self.clock):
            return None
        return load_delivery(data).with_attempt(int(attempt or 1))

    # -- taking jobs (taking.py) -----------------------------------------------------------------

    async def take(self, consumer: str, *, limit: int, wait: float) -> list[Job]:
        async with self.guard("take"):
            await self._ensure_group()
            return await self._taker.take(consumer, limit=limit, wait=wait)

    # The worker side's state lives in the Taker; these names reach it as the tests knew it.

    @property
    def _in_flight(self) -> dict[str, tuple[str, str, str, str]]:
        return self._taker.in_flight

    @property
    def _heartbeat(self) -> asyncio.Task[None] | None:
        return self._taker.heartbeat

    @property
    def _last_reclaim(self) -> float:
        return self._taker.last_reclaim

    @_last_reclaim.setter
    def _last_reclaim(self, value: float) -> None:
        self._taker.last_reclaim = value

    def _start_heartbeat(self) -> None:
        self._taker.start_heartbeat()

    # -- dead letters (dead_letters.py) ------------------------------------------------------

    async def dead_letters(self, *, limit: int = 100, offset: int = 0) -> list[DeadLetter]:
        return await dead_letters.listing(self, limit=limit, offset=offset)

    async def dead_letter(self, key: str) -> DeadLetter | None:
        return await dead_letters.lookup(self, key)

    async def replay(self, key: str) -> bool:
        return await dead_letters.replay(self, key)

    async def purge_dead(self, key: str | None = None) -> int:
        return await dead_letters.purge(self, key)

    # -- operations: inspect and stats ----------------------------------------------------------

    async def describe(self, key: str) -> Claim | None:
        return await inspection.describe(self, key)

    async def stats(self) -> StoreStats:
        return await inspection.stats(self)

    async def count_rejected(self, counts: Mapping[str, int]) -> None:
        await inspection.count_rejected(self, counts)

    # -- outcomes ----------------------------------------------------------------------------

    async def _settle(
        self, job: Job, mode: str, *, due: float = 0.0, error: str = "", attempt: int = 0
    ) -> int:
        entry_id, gen, run = split_receipt(job.receipt)
        self._taker.in_flight.pop(entry_id, None)  # settled or not, stop the heartbeat: on failure
        # the entry is left for another worker to take over. Coalesced with the outcomes of the
        # same tick (one script call); returns once Redis recorded it.
        member = member_for(job.delivery.key)
        return await self._outcomes.submit(
            (member, f"{entry_id}|{gen}|{run}|{mode}|{due!r}|{attempt}", error)
        )

    async def _settle_batch(self, items: Sequence[tuple[str, str, str]]) -> list[int]:
        now, expires, ttl = self.times()
        args: list[Any] = [layout.GROUP, repr(now), expires, ttl, repr(self.retention)]
        args.append(len(self.claim_key("")))
        for _, job, error in items:
            args += [job, error]
        async with self.guard("settle"):
            results: list[int] = await self.run_script("SETTLE", self.batch_keys([i[0] for i in items]), args)
        completed = [r for r, item in zip(results, items, strict=True) if "|complete|" in item[1]]
        if completed:
            await self._evict(max(completed))
        return results

    async def complete(self, job: Job) -> None:
        await self._settle(job, "complete")  # the batch drops the oldest done claims past the cap

    async def _evict(self, settled: int) -> None:
        """Drop the oldest done claims once more than ``max_retained`` are kept."""
        if settled > self.max_retained:
            async with self.guard("evict"):
                oldest = await self.client.zrange(self.settled, 0, settled - self.max_retained - 1)
                members = [text(m) for m in oldest]
                await self.run_script("EVICT", [self.settled, *map(self.claim_key, members)], members)

    async def retry(self, job: Job, *, delay: float, error: str) -> None:
        await self._settle(
            job, "retry", due=self.clock() + delay, error=error, attempt=job.delivery.attempt + 1
        )

    async def bury(self, job: Job, *, error: str) -> None:
        await self._settle(job, "bury", error=error, attempt=job.delivery.attempt)

    async def release(self, job: Job) -> None:
        await self._settle(job, "release")

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._taker.stop()
        for client in {id(c): c for c in (self.client, self.reader)}.values():
            with contextlib.suppress(*FAILURES):
                if isinstance(client, RedisCluster):
                    await client.aclose()
                else:
                    await client.aclose(close_connection_pool=True)
