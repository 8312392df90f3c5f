"""Every default the receiver, its stores and its worker share, defined once.

A leaf module (it imports nothing): :class:`~hookreceiver.Settings` uses these as its field
defaults, and the classes that can be built without settings (``RetryPolicy``, ``MemoryStore``,
``RedisStore``, ``Worker``) use them as their keyword defaults, so the two never drift apart.
"""

from __future__ import annotations

__all__ = [
    "BODY_TIMEOUT",
    "MAX_ATTEMPTS",
    "MAX_BODY_SIZE",
    "MAX_BUFFERED_BYTES",
    "MAX_HEADER_BYTES",
    "MAX_HEADER_COUNT",
    "MEMORY_MAX_BYTES",
    "MEMORY_MAX_ENTRIES",
    "RETENTION",
    "RETRY_BASE_DELAY",
    "RETRY_MAX_DELAY",
    "WORKER_CONCURRENCY",
]

MAX_BODY_SIZE = 5 * 1024 * 1024  # bytes of one request body, past which it is a 413
BODY_TIMEOUT = 30.0  # seconds a request may take to send its whole body, past which it is a 408
MAX_BUFFERED_BYTES = 64 * 1024 * 1024  # bytes all unverified bodies of a process may hold (503 past it)
MAX_HEADER_COUNT = 1000  # header lines of one request, past which it is a 431
MAX_HEADER_BYTES = 64 * 1024  # bytes of header names and values of one request, past which it is a 431
MAX_ATTEMPTS = 5  # handler runs of one delivery before it is dead-lettered
RETRY_BASE_DELAY = 2.0  # seconds before the first retry (then doubling, with jitter)
RETRY_MAX_DELAY = 3600.0  # the longest wait between two runs
RETENTION = 3 * 24 * 3600.0  # seconds a settled delivery (done or dead) is kept, for dedupe and replay
MEMORY_MAX_ENTRIES = 10_000  # deliveries the in-memory store holds
MEMORY_MAX_BYTES = 256 * 1024 * 1024  # the in-memory store's byte budget (bodies counted twice)
WORKER_CONCURRENCY = 8  # handlers one worker runs at a time
