"""Dead letters of :class:`~hookreceiver.stores.redis.RedisStore`: list, look up, replay, purge.

Functions over the store's public parts (:class:`~hookreceiver.stores.redis.parts.StoreParts`:
its client, key names, error guard and scripts), which the store's own methods of the same
purpose call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hookreceiver.stores.base import ClaimState, DeadLetter
from hookreceiver.stores.codec import load_delivery
from hookreceiver.stores.redis.keys import member_for
from hookreceiver.stores.redis.parts import StoreParts, text

__all__ = ["listing", "lookup", "purge", "replay"]

_FIELDS = ["state", "expires", "attempt", "delivery", "error", "failed_at"]


def _dead_letter(row: Sequence[Any], now: float) -> DeadLetter | None:
    state, expires, attempt, data, error, failed_at = row
    if state is None or text(state) != ClaimState.DEAD or float(expires) <= now:
        return None
    delivery = load_delivery(data).with_attempt(int(attempt))
    return DeadLetter(delivery, text(error or b""), float(failed_at), int(attempt))


async def listing(store: StoreParts, *, limit: int = 100, offset: int = 0) -> list[DeadLetter]:
    """Up to ``limit`` dead letters, oldest first, after the ``offset`` oldest (a page).

    Offsets count only entries of the dead index still within the retention (the index is
    scored by burial time), so an expired entry not yet trimmed cannot shift the pages.
    """
    found: list[DeadLetter] = []
    start = offset
    live_since = f"({store.clock() - store.retention!r}"  # exclusive: buried after this
    async with store.guard("dead_letters"):
        while len(found) < limit:
            page = [
                text(m)
                for m in await store.client.zrangebyscore(
                    store.dead, live_since, "+inf", start=start, num=limit - len(found)
                )
            ]
            if not page:
                break
            start += len(page)
            pipe = store.client.pipeline(transaction=False)
            for member in page:
                pipe.hmget(store.claim_key(member), _FIELDS)
            rows = await pipe.execute()
            found += [d for row in rows if (d := _dead_letter(row, store.clock())) is not None]
    return found[:limit]


async def lookup(store: StoreParts, key: str) -> DeadLetter | None:
    """The dead letter ``endpoint:delivery_id``, looked up directly; ``None`` if not dead."""
    async with store.guard("dead_letter"):
        row = await store.client.hmget(store.claim_key(member_for(key)), _FIELDS)
    return _dead_letter(row, store.clock())


async def replay(store: StoreParts, key: str) -> bool:
    """Enqueue the retained delivery ``key`` again as attempt 1; ``False`` if not retained."""
    member = member_for(key)
    now, expires, _ = store.times()
    async with store.guard("replay"):
        replayed = await store.run_script("REPLAY", store.keys_for(member), [member, repr(now), expires])
    return bool(replayed)


async def purge(store: StoreParts, key: str | None = None) -> int:
    """Drop the dead letter ``key`` (every one with ``None``); returns how many were dropped."""
    async with store.guard("purge_dead"):
        if key is not None:
            member = member_for(key)
            return int(await store.run_script("PURGE", [store.dead, store.claim_key(member)], [member]))
        dropped = 0
        while page := [text(m) for m in await store.client.zrange(store.dead, 0, 199)]:
            dropped += await store.run_script("PURGE", [store.dead, *map(store.claim_key, page)], page)
        return dropped
