"""Every default the receiver, its stores and its worker share, defined once.

A leaf module (it imports nothing): :class:`~hookreceiver.Settings` uses these as its field
defaults, and the classes that can be built without settings (``RetryPolicy``, ``MemoryStore``,
``RedisStore``, ``Worker``) use them as their keyword defaults, so the two never drift apart.
"""

from __future__ import annotations

__all__ = [
    "BODY_TIMEOUT",
    "HEADER_TIMEOUT",
    "KEEP_ALIVE",
    "LIMIT_CONCURRENCY",
    "MAX_ATTEMPTS",
    "MAX_BODY_SIZE",
    "MAX_BUFFERED_BYTES",
    "MAX_HEADER_BYTES",
    "MAX_HEADER_COUNT",
    "MAX_HEADER_SIZE",
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
# `hookreceiver serve`'s connection limits (uvicorn's own: no concurrency limit, no header deadline,
# no header cap with httptools)
LIMIT_CONCURRENCY = 500  # connections or requests in progress per process, past which requests get 503
KEEP_ALIVE = 5  # seconds an idle keep-alive connection stays open
HEADER_TIMEOUT = 10.0  # seconds a connection may take to send a request's line and headers
# bytes of request line and headers the server reads at all: the app's MAX_HEADER_BYTES (refused
# there with a JSON 431) plus room for the request line, so only what is far past it stops early
MAX_HEADER_SIZE = MAX_HEADER_BYTES + 8 * 1024
