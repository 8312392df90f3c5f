"""Each default is defined once (hookreceiver.defaults) and every place that has one agrees."""

from __future__ import annotations

import inspect

from hookreceiver import MemoryStore, Settings, defaults
from hookreceiver.endpoint import RetryPolicy
from hookreceiver.stores.redis import RedisStore
from hookreceiver.worker import Worker


def test_settings_defaults_are_the_shared_ones() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (
        settings.max_body_size,
        settings.max_attempts,
        settings.retry_base_delay,
        settings.retry_max_delay,
        settings.retention_seconds,
        settings.memory_max_entries,
        settings.memory_max_bytes,
        settings.worker_concurrency,
    ) == (
        defaults.MAX_BODY_SIZE,
        defaults.MAX_ATTEMPTS,
        defaults.RETRY_BASE_DELAY,
        defaults.RETRY_MAX_DELAY,
        defaults.RETENTION,
        defaults.MEMORY_MAX_ENTRIES,
        defaults.MEMORY_MAX_BYTES,
        defaults.WORKER_CONCURRENCY,
    )


def test_classes_built_without_settings_use_the_same_defaults() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert RetryPolicy() == RetryPolicy(
        max_attempts=settings.max_attempts,
        base_delay=settings.retry_base_delay,
        max_delay=settings.retry_max_delay,
    )
    memory = MemoryStore()
    assert (memory.retention, memory.max_entries, memory.max_bytes) == (
        settings.retention_seconds,
        settings.memory_max_entries,
        settings.memory_max_bytes,
    )
    assert inspect.signature(RedisStore).parameters["retention"].default == settings.retention_seconds
    assert inspect.signature(Worker).parameters["concurrency"].default == settings.worker_concurrency
