"""Each default is defined once (hookreceiver.defaults) and every place that has one agrees."""

from __future__ import annotations

import inspect

import pytest
from pydantic import SecretStr

from hookreceiver import MemoryStore, Settings, defaults
from hookreceiver.endpoint import RetryPolicy
from hookreceiver.stores import store_from_settings
from hookreceiver.stores.redis import RedisStore
from hookreceiver.worker import Worker

pytestmark = pytest.mark.anyio


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


async def test_the_store_from_settings_is_memory_bounded_by_them_without_a_redis_url() -> None:
    def clock() -> float:
        return 1234.0

    settings = Settings(_env_file=None, retention_seconds=60, memory_max_entries=7, memory_max_bytes=999)  # type: ignore[call-arg]
    store = store_from_settings(settings, clock=clock)
    assert isinstance(store, MemoryStore)
    assert (store.retention, store.max_entries, store.max_bytes) == (60, 7, 999)
    assert store._clock is clock


async def test_the_store_from_settings_is_redis_with_the_settings_retention(redis_url: str) -> None:
    settings = Settings(_env_file=None, redis_url=SecretStr(redis_url), retention_seconds=90)  # type: ignore[call-arg]
    store = store_from_settings(settings)
    try:
        assert isinstance(store, RedisStore)
        assert store.retention == 90
        assert await store.get("/nowhere:nothing") is None  # it answers from that Redis
    finally:
        await store.close()
