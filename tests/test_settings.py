"""Settings come from HOOKRECEIVER_* environment variables; secrets stay out of reprs."""

from __future__ import annotations

import os
from pathlib import Path

import pydantic
import pytest

from hookreceiver import HookReceiver, MemoryStore, Settings

REDIS_PASSWORD = "hunter2-redis-pass"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No HOOKRECEIVER_* variable or .env file from the machine leaks into these tests."""
    for name in list(os.environ):
        if name.startswith("HOOKRECEIVER_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults() -> None:
    settings = Settings()
    assert settings.redis_url is None
    assert settings.max_body_size == 5 * 1024 * 1024
    assert (settings.run_worker, settings.max_attempts, settings.trust_forwarded) == (True, 5, False)
    assert settings.memory_max_bytes == 256 * 1024 * 1024
    assert (settings.max_header_count, settings.max_header_bytes) == (1000, 64 * 1024)


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("HOOKRECEIVER_MAX_BODY_SIZE", "1024", "max_body_size", 1024),
        ("HOOKRECEIVER_MAX_HEADER_COUNT", "50", "max_header_count", 50),
        ("HOOKRECEIVER_MAX_HEADER_BYTES", "8192", "max_header_bytes", 8192),
        ("HOOKRECEIVER_RUN_WORKER", "false", "run_worker", False),
        ("HOOKRECEIVER_WORKER_CONCURRENCY", "3", "worker_concurrency", 3),
        ("HOOKRECEIVER_MAX_ATTEMPTS", "9", "max_attempts", 9),
        ("HOOKRECEIVER_RETRY_BASE_DELAY", "0.5", "retry_base_delay", 0.5),
        ("HOOKRECEIVER_RETRY_MAX_DELAY", "60", "retry_max_delay", 60.0),
        ("HOOKRECEIVER_RETENTION_SECONDS", "120", "retention_seconds", 120.0),
        ("HOOKRECEIVER_MEMORY_MAX_BYTES", "1048576", "memory_max_bytes", 1048576),
        ("HOOKRECEIVER_TRUST_FORWARDED", "1", "trust_forwarded", True),
        (
            "hookreceiver_public_base_url",
            "https://hooks.example.com",
            "public_base_url",
            "https://hooks.example.com",
        ),
    ],
)
def test_each_setting_reads_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: object
) -> None:
    monkeypatch.setenv(variable, value)
    assert getattr(Settings(), field) == expected


def test_unprefixed_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_BODY_SIZE", "1")
    monkeypatch.setenv("REDIS_URL", "redis://elsewhere")
    assert Settings().max_body_size == 5 * 1024 * 1024 and Settings().redis_url is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HOOKRECEIVER_MAX_BODY_SIZE", "0"),
        ("HOOKRECEIVER_MAX_ATTEMPTS", "-1"),
        ("HOOKRECEIVER_RUN_WORKER", "maybe"),
    ],
)
def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(pydantic.ValidationError):
        Settings()


def test_dotenv_file_is_read_and_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    with open(".env", "w") as env_file:
        env_file.write("HOOKRECEIVER_MAX_ATTEMPTS=4\nHOOKRECEIVER_MAX_BODY_SIZE=2048\n")
    monkeypatch.setenv("HOOKRECEIVER_MAX_ATTEMPTS", "6")
    settings = Settings()
    assert (settings.max_attempts, settings.max_body_size) == (6, 2048)


def test_redis_url_is_a_secret_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0"
    monkeypatch.setenv("HOOKRECEIVER_REDIS_URL", url)
    settings = Settings()
    assert isinstance(settings.redis_url, pydantic.SecretStr)
    assert settings.redis_url.get_secret_value() == url
    for text in (repr(settings), str(settings), repr(settings.redis_url), str(settings.model_dump())):
        assert REDIS_PASSWORD not in text


def test_receiver_uses_settings_for_its_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKRECEIVER_RUN_WORKER", "false")
    monkeypatch.setenv("HOOKRECEIVER_MEMORY_MAX_ENTRIES", "7")
    monkeypatch.setenv("HOOKRECEIVER_RETENTION_SECONDS", "99")
    monkeypatch.setenv("HOOKRECEIVER_MEMORY_MAX_BYTES", "4096")
    receiver = HookReceiver()
    assert receiver.run_worker is False
    store = receiver.store
    assert isinstance(store, MemoryStore)  # no redis_url: the embedded store
    assert (store.max_entries, store.retention, store.max_bytes) == (7, 99.0, 4096)
