"""Dead letters, replay and purge of :class:`hookreceiver.stores.redis.RedisStore`.

A mixin kept apart to keep ``redis.py`` small; it imports nothing from redis (the store's client,
keys, scripts and error guard are reached through ``self``, typed by :class:`StoreParts`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from hookreceiver.stores.base import ClaimState, DeadLetter
from hookreceiver.stores.codec import load_delivery
from hookreceiver.stores.redis_keys import member_for

__all__ = ["DeadLetters", "StoreParts", "text"]

_FIELDS = ["state", "expires", "attempt", "delivery", "error", "failed_at"]


def text(value: Any) -> str:
    """A Redis reply value (bytes or not) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)


class StoreParts(Protocol):
    """What the mixin uses of the store."""

    client: Any
    dead: str
    _clock: Callable[[], float]

    def claim_key(self, member: str) -> str: ...
    def _keys(self, member: str) -> list[str]: ...
    def _times(self) -> tuple[float, str, int]: ...
    def _guard(self, operation: str) -> AbstractAsyncContextManager[None]: ...
    async def _run(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any: ...


def _dead_letter(row: Sequence[Any], now: float) -> DeadLetter | None:
    state, expires, attempt, data, error, failed_at = row
    if state is None or text(state) != ClaimState.DEAD or float(expires) <= now:
        return None
    delivery = load_delivery(data).with_attempt(int(attempt))
    return DeadLetter(delivery, text(error or b""), float(failed_at), int(attempt))


class DeadLetters:
    """``dead_letters``, ``dead_letter``, ``replay`` and ``purge_dead`` for the Redis store."""

    async def dead_letters(self: StoreParts, *, limit: int = 100) -> list[DeadLetter]:
        found: list[DeadLetter] = []
        start = 0
        async with self._guard("dead_letters"):
            while len(found) < limit:
                page = [text(m) for m in await self.client.zrange(self.dead, start, start + limit - 1)]
                if not page:
                    break
                start += len(page)
                pipe = self.client.pipeline(transaction=False)
                for member in page:
                    pipe.hmget(self.claim_key(member), _FIELDS)
                rows = await pipe.execute()
                found += [d for row in rows if (d := _dead_letter(row, self._clock())) is not None]
        return found[:limit]

    async def dead_letter(self: StoreParts, key: str) -> DeadLetter | None:
        """The dead letter ``endpoint:delivery_id``, looked up directly; ``None`` if not dead."""
        async with self._guard("dead_letter"):
            row = await self.client.hmget(self.claim_key(member_for(key)), _FIELDS)
        return _dead_letter(row, self._clock())

    async def replay(self: StoreParts, key: str) -> bool:
        member = member_for(key)
        now, expires, _ = self._times()
        async with self._guard("replay"):
            replayed = await self._run("REPLAY", self._keys(member), [member, repr(now), expires])
        return bool(replayed)

    async def purge_dead(self: StoreParts, key: str | None = None) -> int:
        async with self._guard("purge_dead"):
            if key is not None:
                member = member_for(key)
                return int(await self._run("PURGE", [self.dead, self.claim_key(member)], [member]))
            dropped = 0
            while page := [text(m) for m in await self.client.zrange(self.dead, 0, 199)]:
                dropped += await self._run("PURGE", [self.dead, *map(self.claim_key, page)], page)
            return dropped
