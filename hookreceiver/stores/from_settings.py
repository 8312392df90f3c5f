"""The store the settings describe: Redis when ``redis_url`` is set, else the in-memory store.

The one place that turns :class:`~hookreceiver.Settings` into a store, for the receiver's default
store and for the tools (``hookreceiver worker``, ``replay``, ``dead-letters``) alike. The Redis
store is imported only when it is wanted, so a receiver without Redis never loads ``redis``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from hookreceiver.settings import Settings
from hookreceiver.stores.base import Store
from hookreceiver.stores.memory import MemoryStore

__all__ = ["store_from_settings"]


def store_from_settings(settings: Settings, *, clock: Callable[[], float] = time.time) -> Store:
    """A ``RedisStore`` for ``settings.redis_url``, or a ``MemoryStore`` bounded by the settings
    (on ``clock``) when it is unset. Both keep settled deliveries ``retention_seconds``."""
    if settings.redis_url is not None:
        from hookreceiver.stores.redis import RedisStore

        return RedisStore.from_url(
            settings.redis_url.get_secret_value(), retention=settings.retention_seconds
        )
    return MemoryStore(
        retention=settings.retention_seconds,
        max_entries=settings.memory_max_entries,
        max_bytes=settings.memory_max_bytes,
        clock=clock,
    )
