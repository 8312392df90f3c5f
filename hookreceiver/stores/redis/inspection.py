"""What ``hookreceiver inspect`` and ``stats`` read from a :class:`~hookreceiver.stores.redis.RedisStore`.

The counters live in one hash (``stats`` under the store's hash-tagged prefix, no TTL). The
scripts that move claims increment them in the same atomic step (``admitted`` and ``duplicates``
in ADMIT, ``unrouted`` in RECORD, ``handled``, ``failed`` and ``dead`` in SETTLE, a "worker lost"
burial in START); rejections arrive from the ASGI layer through :func:`count_rejected`.
"""

from __future__ import annotations

from collections.abc import Mapping

from hookreceiver.stores.base import Claim, ClaimState, StoreStats
from hookreceiver.stores.codec import load_delivery
from hookreceiver.stores.redis.keys import GROUP, member_for
from hookreceiver.stores.redis.parts import StoreParts, expired, text

__all__ = ["REJECTED", "count_rejected", "describe", "stats"]

REJECTED = "rejected:"  # counter fields of rejections: rejected:<reason>
_FIELDS = ["state", "expires", "attempt", "delivery", "error"]


async def describe(store: StoreParts, key: str) -> Claim | None:
    """The retained claim ``key`` (any state), or ``None`` when unknown or past its retention."""
    async with store.guard("describe"):
        state, expires, attempt, data, error = await store.client.hmget(
            store.claim_key(member_for(key)), _FIELDS
        )
    if state is None or data is None:
        return None
    claim_state = ClaimState(text(state))
    if expired(state, expires, store.clock):
        return None
    delivery = load_delivery(data).with_attempt(int(attempt or 1))
    return Claim(claim_state, delivery, text(error or b""))


async def stats(store: StoreParts) -> StoreStats:
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


async def count_rejected(store: StoreParts, counts: Mapping[str, int]) -> None:
    """Add ``counts`` (reason -> how many) to the rejection counters, in one round trip."""
    if not counts:
        return
    async with store.guard("count_rejected"):
        pipe = store.client.pipeline(transaction=False)
        for reason, n in counts.items():
            pipe.hincrby(store.stats_key, REJECTED + reason, n)
        await pipe.execute()
