"""Operations from Python: what ``hookreceiver worker``, ``replay`` and ``dead-letters`` do.

These work on any store, but only a shared store (Redis) makes sense across processes: the
in-memory store of another process cannot be reached, so :func:`shared_store` refuses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Mapping

from hookreceiver.core.delivery import Delivery, delivery_key, endpoint_path
from hookreceiver.exceptions import ConfigurationError
from hookreceiver.receiver import HookReceiver
from hookreceiver.settings import Settings
from hookreceiver.stores.base import DeadLetter, Store
from hookreceiver.stores.from_settings import store_from_settings
from hookreceiver.worker import Worker
from hookreceiver.worker import run_handlers as worker_run_handlers

__all__ = [
    "PAGE",
    "all_dead_letters",
    "find_dead_letters",
    "replay_all",
    "resolve_key",
    "run_handlers",
    "run_worker",
    "shared_store",
]

log = logging.getLogger("hookreceiver.ops")
PAGE = 500  # dead letters read per round trip when walking all of them


def shared_store(receiver: HookReceiver | None = None, settings: Settings | None = None) -> Store:
    """The receiver's store, or the Redis store the settings name; never a private memory store."""
    if receiver is not None:
        store = receiver.store
    else:
        settings = settings or Settings()
        if settings.redis_url is None:
            raise ConfigurationError(
                "no shared store: set HOOKRECEIVER_REDIS_URL to the Redis URL your receiver uses "
                "(--app MODULE:ATTR works only for a receiver whose store is Redis; the in-memory "
                "store cannot be reached from another process)"
            )
        store = store_from_settings(settings)
    if not store.shared:
        raise ConfigurationError(
            "the in-memory store lives inside one process; set "
            "HOOKRECEIVER_REDIS_URL so workers and tools share a Redis store"
        )
    return store


async def resolve_key(
    store: Store, text: str, *, endpoint: str | None = None, endpoints: Mapping[str, object] = {}
) -> str | None:
    """Turn ``/path:delivery_id`` or a bare delivery id into a retained key (``None`` if unknown).

    A bare id is looked up under ``endpoint``, else under every endpoint of the receiver.
    """
    if endpoint is not None:
        candidates = [delivery_key(endpoint_path(endpoint), text)]
    elif text.startswith("/"):
        candidates = [text]
    else:
        candidates = [delivery_key(path, text) for path in endpoints]
    for key in candidates:
        if await store.get(key) is not None:
            return key
    return None


async def all_dead_letters(store: Store, *, limit: int | None = None) -> list[DeadLetter]:
    """Every dead letter (or the ``limit`` oldest), oldest first, read a page at a time."""
    found: list[DeadLetter] = []
    while limit is None or len(found) < limit:
        size = PAGE if limit is None else min(PAGE, limit - len(found))
        page = await store.dead_letters(limit=size, offset=len(found))
        found += page
        if len(page) < size:
            break
    return found


async def replay_all(
    store: Store, *, limit: int | None = None, progress: Callable[[int, int], None] | None = None
) -> tuple[int, int]:
    """Queue every dead letter (or the ``limit`` oldest) again as attempt 1.

    The dead letters are listed first, then replayed one by one, calling ``progress(done,
    total)`` after each. Returns (queued, gone): ``gone`` counts those that expired or were
    purged between the listing and their replay.
    """
    keys = [dead.delivery.key for dead in await all_dead_letters(store, limit=limit)]
    queued = 0
    for done, key in enumerate(keys, start=1):
        queued += await store.replay(key)
        if progress is not None:
            progress(done, len(keys))
    return queued, len(keys) - queued


async def find_dead_letters(
    store: Store, text: str, *, endpoint: str | None = None, endpoints: Mapping[str, object] = {}
) -> list[DeadLetter]:
    """The dead letter(s) ``text`` names: a key ``/path:delivery_id``, or a bare delivery id
    (under ``endpoint``, else under the receiver's ``endpoints``, else under any endpoint).

    Keys are looked up directly (not within the first N dead letters); only a bare id with
    neither ``endpoint`` nor ``endpoints`` walks every dead letter.
    """
    if endpoint is not None:
        keys = [delivery_key(endpoint_path(endpoint), text)]
    elif text.startswith("/"):
        keys = [text]
    elif endpoints:
        keys = [delivery_key(path, text) for path in endpoints]
    else:
        return [d for d in await all_dead_letters(store) if d.delivery.delivery_id == text]
    found = [await store.dead_letter(key) for key in keys]
    return [dead for dead in found if dead is not None]


async def run_handlers(receiver: HookReceiver, delivery: Delivery) -> int:
    """Run the handlers matching ``delivery`` here and now, outside the store; returns how many.

    The first failing handler's exception propagates. Nothing is recorded in the store.
    """
    endpoint = receiver.endpoints.get(delivery.endpoint)
    if endpoint is None:
        raise ConfigurationError(f"the receiver has no endpoint {delivery.endpoint!r}")
    return await worker_run_handlers(endpoint, delivery)


async def run_worker(
    receiver: HookReceiver, *, concurrency: int | None = None, stop: asyncio.Event | None = None
) -> None:
    """Run a worker on the receiver's shared store until SIGTERM/SIGINT (or ``stop`` is set).

    On the way out in-flight deliveries get ``settings.shutdown_grace`` seconds to finish; the
    rest are handed back to the store for another worker.
    """
    store = shared_store(receiver)
    settings = receiver.settings
    worker = Worker(receiver.endpoints, store, concurrency=concurrency or settings.worker_concurrency)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop.set)
    worker.start()
    log.info("worker started consumer=%s concurrency=%d store=%r", worker.consumer, worker.concurrency, store)
    try:
        await stop.wait()
    finally:
        log.info("worker stopping consumer=%s in_flight=%d", worker.consumer, worker.in_flight)
        await worker.stop(grace=settings.shutdown_grace)
        await store.close()
        for signum in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signum)
        log.info("worker stopped consumer=%s", worker.consumer)
