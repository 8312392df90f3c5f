"""What the helper modules of the Redis store use of it, and the small helpers they share.

:class:`StoreParts` names the store's public parts (its clients, key names, settings, error
guard and scripts). ``taking``, ``dead_letters`` and ``inspection`` are typed against it rather
than against :class:`~hookreceiver.stores.redis.RedisStore`, so none of them reaches into a
private member and none imports the store module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from hookreceiver.stores.base import ClaimState

__all__ = ["StoreParts", "expired", "text"]


class StoreParts(Protocol):
    """What the helper modules use of the store: all of it public."""

    client: Any
    reader: Any  # the client for blocking reads (its own pool)
    inbox: str
    delayed: str
    dead: str
    stats_key: str
    retention: float
    visibility_timeout: float
    max_reclaims: int
    clock: Callable[[], float]

    def claim_key(self, member: str) -> str: ...
    def keys_for(self, member: str) -> list[str]: ...
    def times(self) -> tuple[float, str, int]: ...
    def guard(self, operation: str) -> AbstractAsyncContextManager[None]: ...
    async def run_script(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any: ...


def text(value: Any) -> str:
    """A Redis reply value (bytes or not) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)


def expired(state: Any, expires: Any, clock: Callable[[], float]) -> bool:
    """Whether a claim read as ``state`` and ``expires`` is settled (done or dead) and past its
    retention; ``clock`` is read only for a settled claim with an expiry."""
    settled = text(state) in (ClaimState.DONE, ClaimState.DEAD)
    return settled and expires is not None and float(expires) <= clock()
