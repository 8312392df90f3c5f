"""MemoryStore: the embedded default and the reference implementation of the Store protocol.

Everything lives in this process, so it suits development and tests, not production: a restart
loses the inbox. It bounds itself: claims expire after ``retention`` seconds, and past
``max_entries`` records or ``max_bytes`` (what the records really take: exact body, decoded
payload, headers and bookkeeping, see :mod:`hookreceiver.stores.footprint`) the oldest settled
(DONE or DEAD) records are dropped; if the live records alone leave no room, ``admit`` and
``record`` raise ``StoreUnavailable`` (the sender gets a 503 and retries later).

Settled records sit in ``_settled`` in the order they settled, which is also the order they
expire in (retention is one constant), so both expiry and eviction only ever look at its front:
O(1) amortised per admission, however many records are kept. Live records (PENDING, FAILED) are
in no such order: they never expire and are never evicted.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import hookreceiver.defaults as defaults
from hookreceiver.core.delivery import Delivery
from hookreceiver.exceptions import StoreUnavailable
from hookreceiver.stores.base import Admission, Claim, ClaimState, DeadLetter, Job, StoreStats
from hookreceiver.stores.footprint import delivery_bytes

__all__ = ["MemoryStore"]

DEFAULT_RETENTION = defaults.RETENTION
DEFAULT_MAX_ENTRIES = defaults.MEMORY_MAX_ENTRIES
DEFAULT_MAX_BYTES = defaults.MEMORY_MAX_BYTES


@dataclass(slots=True)
class _Record:
    delivery: Delivery
    state: ClaimState
    expires_at: float = 0.0  # for a settled record: when retention ends
    error: str = ""
    failed_at: float = 0.0
    generation: int = 0  # bumps on every enqueue so stale queue entries are skipped
    size: int = 0  # what the record counts against ``max_bytes``
    queued_at: float = 0.0  # when its current inbox entry is (or was) due


class MemoryStore:
    """An in-process Store; ``clock`` is injectable so tests can move time."""

    shared = False  # lives inside one process: other processes (workers, the CLI) cannot reach it

    def __init__(
        self,
        *,
        retention: float = DEFAULT_RETENTION,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.retention = retention
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._bytes = 0  # the sum of every record's size
        self._clock = clock
        self._records: dict[str, _Record] = {}
        self._settled: OrderedDict[str, _Record] = OrderedDict()  # DONE and DEAD, oldest first
        self._ready: deque[tuple[str, int]] = deque()
        self._delayed: list[tuple[float, int, str, int]] = []
        self._counter = itertools.count()
        self._in_flight: set[str] = set()
        self._wakeup = asyncio.Event()
        self._closed = False
        self._counts: Counter[str] = Counter()  # the counters of ``stats``
        self._rejected: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"MemoryStore(records={len(self._records)}, ready={len(self._ready)})"

    # -- bookkeeping -------------------------------------------------------------------------

    def _expire(self, now: float) -> None:
        # The oldest settled record expires first; live records never expire.
        settled = self._settled
        while settled:
            key, record = next(iter(settled.items()))
            if record.expires_at > now:
                break
            self._drop(key)

    def _drop(self, key: str) -> None:
        self._bytes -= self._records.pop(key).size
        self._settled.pop(key, None)

    def _put(self, key: str, record: _Record) -> None:
        old = self._records.get(key)
        if old is not None:
            self._bytes -= old.size
            self._settled.pop(key, None)
        self._bytes += record.size
        self._records[key] = record

    def _settle_record(self, key: str, record: _Record, state: ClaimState, now: float) -> None:
        """Mark ``record`` DONE or DEAD: it joins the back of the settled order."""
        record.state = state
        record.expires_at = now + self.retention
        self._settled[key] = record
        self._settled.move_to_end(key)

    def _unsettle(self, key: str) -> None:
        self._settled.pop(key, None)

    def _full(self, adding: bool, size: int) -> str | None:
        if adding and len(self._records) >= self.max_entries:
            return f"memory store is full ({self.max_entries} live deliveries)"
        if self._bytes + size > self.max_bytes:
            return f"memory store is full ({self.max_bytes} bytes of live deliveries)"
        return None

    def _make_room(self, key: str, size: int) -> None:
        """Drop the oldest settled records until a record of ``size`` bytes fits under ``key``.

        Only admission evicts (lookups must not shrink the store). Live records are never
        dropped: when they alone leave no room, the delivery is refused with ``StoreUnavailable``.
        Each dropped record is one step at the front of the settled order, so the work done
        here is paid for by the admissions that created those records.
        """
        old = self._records.get(key)
        adding = old is None
        size -= old.size if old is not None else 0  # the record it replaces is freed
        while (reason := self._full(adding, size)) is not None:
            victim = next(iter(self._settled), None)
            if victim == key:  # the record being replaced (dead, admitted again): the next one
                victim = next(itertools.islice(self._settled, 1, None), None)
            if victim is None:
                raise StoreUnavailable(reason)
            self._drop(victim)

    def _enqueue(self, key: str, record: _Record, *, delay: float = 0.0) -> None:
        record.generation += 1
        now = self._clock()
        if delay > 0:
            record.queued_at = due = now + delay
            heapq.heappush(self._delayed, (due, next(self._counter), key, record.generation))
        else:
            record.queued_at = now
            self._ready.append((key, record.generation))
        self._wakeup.set()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreUnavailable("the memory store is closed")

    # -- Store protocol -----------------------------------------------------------------------

    async def admit(self, delivery: Delivery) -> Admission:
        self._check_open()
        now = self._clock()
        self._expire(now)
        key = delivery.key
        record = self._records.get(key)
        if record is not None and record.state in (ClaimState.PENDING, ClaimState.DONE):
            self._counts["duplicates"] += 1
            return Admission.DUPLICATE
        size = delivery_bytes(delivery)
        self._make_room(key, size)
        # A provider redelivery of a failed event runs now and keeps counting attempts (the
        # scheduled retry is superseded); one of a dead event starts afresh.
        attempt = record.delivery.attempt if record and record.state == ClaimState.FAILED else 1
        generation = record.generation if record else 0
        record = _Record(delivery.with_attempt(attempt), ClaimState.PENDING, generation=generation, size=size)
        self._put(key, record)
        self._enqueue(key, record)
        self._counts["admitted"] += 1
        return Admission.ACCEPTED

    async def record(self, delivery: Delivery) -> Admission:
        self._check_open()
        now = self._clock()
        self._expire(now)
        key = delivery.key
        if key in self._records:
            self._counts["duplicates"] += 1
            return Admission.DUPLICATE
        size = delivery_bytes(delivery)
        self._make_room(key, size)
        record = _Record(delivery.with_attempt(1), ClaimState.DONE, size=size)
        self._put(key, record)
        self._settle_record(key, record, ClaimState.DONE, now)
        self._counts["unrouted"] += 1
        return Admission.ACCEPTED

    def _pop_due(self, limit: int) -> list[Job]:
        now = self._clock()
        while self._delayed and self._delayed[0][0] <= now:
            _, _, key, generation = heapq.heappop(self._delayed)
            self._ready.append((key, generation))
        jobs: list[Job] = []
        while self._ready and len(jobs) < limit:
            key, generation = self._ready.popleft()
            record = self._records.get(key)
            if record is None or record.generation != generation:
                continue
            record.state = ClaimState.PENDING
            self._in_flight.add(key)
            jobs.append(Job(record.delivery, receipt=f"{key}#{generation}"))
        return jobs

    async def take(self, consumer: str, *, limit: int, wait: float) -> list[Job]:
        self._check_open()
        jobs = self._pop_due(limit)
        if jobs or wait <= 0:
            return jobs
        self._wakeup.clear()
        timeout = wait
        if self._delayed:
            timeout = min(wait, max(0.0, self._delayed[0][0] - self._clock()))
        try:
            await asyncio.wait_for(self._wakeup.wait(), timeout)
        except TimeoutError:
            pass
        return self._pop_due(limit)

    def _settle(self, job: Job) -> _Record | None:
        key, _, generation = job.receipt.rpartition("#")
        self._in_flight.discard(key)
        record = self._records.get(key)
        if record is None or str(record.generation) != generation:
            return None  # re-admitted or replayed meanwhile: that newer job owns the record
        return record

    async def complete(self, job: Job) -> None:
        record = self._settle(job)
        if record is not None:
            self._counts["handled"] += 1
            self._settle_record(job.delivery.key, record, ClaimState.DONE, self._clock())

    async def retry(self, job: Job, *, delay: float, error: str) -> None:
        record = self._settle(job)
        if record is not None:
            self._counts["failed"] += 1
            record.state = ClaimState.FAILED
            record.error = error
            record.delivery = job.delivery.with_attempt(job.delivery.attempt + 1)
            self._enqueue(job.delivery.key, record, delay=delay)

    async def bury(self, job: Job, *, error: str) -> None:
        record = self._settle(job)
        if record is not None:
            self._counts.update(("failed", "dead"))
            record.error = error
            record.failed_at = self._clock()
            record.delivery = job.delivery
            self._settle_record(job.delivery.key, record, ClaimState.DEAD, record.failed_at)

    async def release(self, job: Job) -> None:
        record = self._settle(job)
        if record is not None:
            self._enqueue(job.delivery.key, record)

    async def state(self, key: str) -> ClaimState | None:
        self._expire(self._clock())
        record = self._records.get(key)
        return record.state if record else None

    async def get(self, key: str) -> Delivery | None:
        record = self._records.get(key)
        return record.delivery if record else None

    async def dead_letters(self, *, limit: int = 100, offset: int = 0) -> list[DeadLetter]:
        self._expire(self._clock())
        dead = [r for r in self._settled.values() if r.state == ClaimState.DEAD]
        dead.sort(key=lambda r: r.failed_at)  # bury order already, unless the clock stepped back
        return [
            DeadLetter(r.delivery, r.error, r.failed_at, r.delivery.attempt)
            for r in dead[offset : offset + limit]
        ]

    async def dead_letter(self, key: str) -> DeadLetter | None:
        self._expire(self._clock())
        record = self._records.get(key)
        if record is None or record.state != ClaimState.DEAD:
            return None
        return DeadLetter(record.delivery, record.error, record.failed_at, record.delivery.attempt)

    async def replay(self, key: str) -> bool:
        self._check_open()
        record = self._records.get(key)
        if record is None:
            return False
        record.delivery = record.delivery.with_attempt(1)
        record.state = ClaimState.PENDING
        self._unsettle(key)  # live again: it no longer expires
        self._enqueue(key, record)
        return True

    async def purge_dead(self, key: str | None = None) -> int:
        if key is None:
            keys = [k for k, r in self._settled.items() if r.state == ClaimState.DEAD]
        else:
            record = self._records.get(key)
            keys = [key] if record is not None and record.state == ClaimState.DEAD else []
        for k in keys:
            self._drop(k)
        return len(keys)

    async def describe(self, key: str) -> Claim | None:
        self._expire(self._clock())
        record = self._records.get(key)
        return Claim(record.state, record.delivery, record.error) if record else None

    async def stats(self) -> StoreStats:
        now = self._clock()
        waiting: list[float] = []  # when each delivery due now became due
        scheduled = 0
        for key, record in self._records.items():
            if record.state == ClaimState.FAILED and record.queued_at > now:
                scheduled += 1
            elif record.state in (ClaimState.PENDING, ClaimState.FAILED) and key not in self._in_flight:
                waiting.append(record.queued_at)
        counts = self._counts
        return StoreStats(
            admitted=counts["admitted"],
            duplicates=counts["duplicates"],
            unrouted=counts["unrouted"],
            handled=counts["handled"],
            failed=counts["failed"],
            dead=counts["dead"],
            rejected=dict(self._rejected),
            depth=len(waiting),
            running=len(self._in_flight),
            scheduled=scheduled,
            oldest_age=max(0.0, now - min(waiting)) if waiting else 0.0,
        )

    async def count_rejected(self, counts: Mapping[str, int]) -> None:
        self._rejected.update(counts)

    async def close(self) -> None:
        self._closed = True
        self._wakeup.set()
