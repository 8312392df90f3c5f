"""The Store protocol: dedupe claims plus a durable inbox, behind one small interface.

A delivery's claim moves through these states (keyed by endpoint + delivery id)::

    admit ──► PENDING ──complete──► DONE       (duplicates of PENDING/DONE are refused)
                 │  ▲
           retry │  │ due / redelivered          (a provider redelivery of FAILED runs now)
                 ▼  │
               FAILED ──bury──► DEAD            (a provider redelivery of DEAD is admitted again)

    record ───────────────────► DONE            (no handler wants it: kept, never run)
    replay: any retained claim ──► PENDING, as attempt 1

``admit`` claims the key and enqueues the delivery in one atomic step; a store that cannot do
both raises ``StoreUnavailable`` and nothing is acknowledged. Workers ``take`` jobs, then report
each one exactly once with ``complete``, ``retry``, ``bury`` or ``release`` (hand back untouched,
still PENDING). A job whose worker dies stays PENDING; a store shared by several processes hands
it to another worker later (the Redis store after its visibility timeout).

For operations (``hookreceiver inspect`` and ``stats``, the metrics' inbox gauges) a store also
describes one claim (``describe``) and keeps cumulative counters (``stats``): admissions,
duplicates and the outcome of every run, counted where they happen (inside the same atomic step
on Redis), plus the rejections the ASGI layer hands it with ``count_rejected``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from hookreceiver.core.delivery import Delivery

__all__ = ["Admission", "Claim", "ClaimState", "DeadLetter", "Job", "Store", "StoreStats"]


class ClaimState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    DEAD = "dead"


class Admission(StrEnum):
    """What ``admit`` did: ``accepted`` (new or re-admitted) or ``duplicate``."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Job:
    """A delivery handed to a worker; ``delivery.attempt`` is this run's number (from 1)."""

    delivery: Delivery
    receipt: str


@dataclass(frozen=True)
class DeadLetter:
    """A delivery whose handlers failed on every attempt, with the last error."""

    delivery: Delivery
    error: str
    failed_at: float
    attempts: int


@dataclass(frozen=True)
class Claim:
    """One retained claim as ``describe`` sees it: its state, the delivery (``delivery.attempt`` is
    the run it is on, or ended on) and the last handler error (empty if none failed)."""

    state: ClaimState
    delivery: Delivery
    error: str = ""


@dataclass(frozen=True)
class StoreStats:
    """Cumulative counters and the inbox right now, as ``Store.stats`` reports them.

    Counters start at zero with the store (memory) or the namespace (Redis) and only grow:
    ``admitted`` new deliveries queued, ``duplicates`` refused, ``unrouted`` kept without a
    handler, ``handled`` runs that succeeded, ``failed`` runs whose handler raised (retried or
    buried), ``dead`` deliveries moved to the dead letters, ``rejected`` requests refused, by
    reason. The inbox: ``depth`` deliveries due and not yet started, ``running`` started and not
    settled, ``scheduled`` retries waiting for their time, ``oldest_age`` seconds the oldest of
    the ``depth`` has waited (0 when none waits).
    """

    admitted: int = 0
    duplicates: int = 0
    unrouted: int = 0
    handled: int = 0
    failed: int = 0
    dead: int = 0
    rejected: Mapping[str, int] = field(default_factory=dict)
    depth: int = 0
    running: int = 0
    scheduled: int = 0
    oldest_age: float = 0.0


@runtime_checkable
class Store(Protocol):
    """Dedupe claims and the durable inbox. ``MemoryStore`` is the reference implementation."""

    # True when other processes (``hookreceiver worker``, ``replay``, ``dead-letters``) reach the
    # same store (Redis); False for a store inside one process (memory).
    shared: bool

    async def admit(self, delivery: Delivery) -> Admission:
        """Claim the delivery's key and enqueue it, atomically; duplicate if already claimed."""
        ...

    async def record(self, delivery: Delivery) -> Admission:
        """Keep a delivery no handler wants as DONE, without running it, so it stays retained
        (and replayable) like any other; duplicate if the key is already claimed."""
        ...

    async def take(self, consumer: str, *, limit: int, wait: float) -> list[Job]:
        """Up to ``limit`` due jobs for ``consumer``; waits up to ``wait`` seconds for one."""
        ...

    async def complete(self, job: Job) -> None:
        """The handlers succeeded: the claim becomes DONE."""
        ...

    async def retry(self, job: Job, *, delay: float, error: str) -> None:
        """The handlers failed: the claim becomes FAILED and the job is due again after ``delay``."""
        ...

    async def bury(self, job: Job, *, error: str) -> None:
        """Give up: the claim becomes DEAD and the delivery joins the dead letters."""
        ...

    async def release(self, job: Job) -> None:
        """Hand a job back unrun (shutdown), without counting the attempt."""
        ...

    async def state(self, key: str) -> ClaimState | None:
        """The claim state for ``endpoint:delivery_id``, or ``None`` if unknown or expired."""
        ...

    async def get(self, key: str) -> Delivery | None:
        """The retained delivery (exact bytes) for ``key``, if still retained."""
        ...

    async def dead_letters(self, *, limit: int = 100, offset: int = 0) -> list[DeadLetter]:
        """Up to ``limit`` dead letters, oldest first, skipping the ``offset`` oldest (paging)."""
        ...

    async def dead_letter(self, key: str) -> DeadLetter | None:
        """The dead letter ``endpoint:delivery_id``, looked up directly; ``None`` if it is not dead."""
        ...

    async def replay(self, key: str) -> bool:
        """Enqueue a retained delivery again as attempt 1; ``False`` if it is not retained."""
        ...

    async def purge_dead(self, key: str | None = None) -> int:
        """Drop one dead letter (or all, with ``None``); returns how many were dropped."""
        ...

    async def describe(self, key: str) -> Claim | None:
        """The retained claim ``endpoint:delivery_id`` with its state and last error, or ``None``."""
        ...

    async def stats(self) -> StoreStats:
        """The cumulative counters and the inbox right now."""
        ...

    async def count_rejected(self, counts: Mapping[str, int]) -> None:
        """Add refused requests (reason -> how many) to the ``rejected`` counters."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
