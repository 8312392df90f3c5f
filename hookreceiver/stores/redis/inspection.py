"""What ``hookreceiver inspect`` and ``stats`` read from a :class:`~hookreceiver.stores.redis.RedisStore`.

The counters live in one hash (``stats`` under the store's hash-tagged prefix, no TTL). The
scripts that move claims increment them in the same atomic step (``admitted`` and ``duplicates``
in ADMIT, ``unrouted`` in RECORD, ``handled``, ``failed`` and ``dead`` in SETTLE, a "worker lost"
burial in START); rejections arrive from the ASGI layer through :func:`count_rejected`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from hookreceiver.stores.base import Claim, ClaimState, StoreStats
from hookreceiver.stores.codec import load_delivery
from hookreceiver.stores.redis.dead_letters import text
from hookreceiver.stores.redis.keys import GROUP, member_for

__all__ = ["REJECTED", "InspectParts", "count_rejected", "describe", "stats"]

REJECTED = "rejected:"  # counter fields of rejections: rejected:<reason>
_FIELDS = ["state", "expires", "attempt", "delivery", "error"]


class InspectParts(Protocol):
    """What these functions use of the store: all of it public."""

    client: Any
    inbox: str
    delayed: str
    stats_key: str
    clock: Callable[[], float]

    def claim_key(self, member: str) -> str: ...
    def guard(self, operation: str) -> AbstractAsyncContextManager[None]: ...
    async def run_script(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any: ...


async def describe(store: InspectParts, key: str) -> Claim | None:
    """The retained claim ``key`` (any state), or ``None`` when unknown or past its retention."""
    async with store.guard("describe"):
        state, expires, attempt, data, error = await store.client.hmget(
            store.claim_key(member_for(key)), _FIELDS
        )
    if state is None or data is None:
        return None
    claim_state = ClaimState(text(state))
    settled = claim_state in (ClaimState.DONE, ClaimState.DEAD)
    if settled and expires is not None and float(expires) <= store.clock():
        return None
    delivery = load_delivery(data).with_attempt(int(attempt or 1))
    return Claim(claim_state, delivery, text(error or b""))


async def stats(store: InspectParts) -> StoreStats:
    """The counters and the inbox, read in one script (one round trip, one consistent view)."""
    async with store.guard("stats"):
        flat, depth, running, scheduled, age = await store.run_script(
            "STATS", [store.stats_key, store.inbox, store.delayed], [GROUP, repr(store.clock())]
        )
    fields = {text(flat[i]): int(flat[i + 1]) for i in range(0, len(flat), 2)}
    return StoreStats(
        admitted=fields.get("admitted", 0),
        duplicates=fields.get("duplicates", 0),
        unrouted=fields.get("unrouted", 0),
        handled=fields.get("handled", 0),
        failed=fields.get("failed", 0),
        dead=fields.get("dead", 0),
        rejected={k.removeprefix(REJECTED): v for k, v in fields.items() if k.startswith(REJECTED)},
        depth=int(depth),
        running=int(running),
        scheduled=int(scheduled),
        oldest_age=float(text(age)),
    )


async def count_rejected(store: InspectParts, counts: Mapping[str, int]) -> None:
    """Add ``counts`` (reason -> how many) to the rejection counters, in one round trip."""
    if not counts:
        return
    async with store.guard("count_rejected"):
        pipe = store.client.pipeline(transaction=False)
        for reason, n in counts.items():
            pipe.hincrby(store.stats_key, REJECTED + reason, n)
        await pipe.execute()
