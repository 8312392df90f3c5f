"""Settings from the environment (``HOOKRECEIVER_`` prefix), then a ``.env`` file, then defaults."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

import hookreceiver.defaults as defaults
from hookreceiver.core.delivery import endpoint_path

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Receiver-wide configuration; per-endpoint options override the defaults given here."""

    model_config = SettingsConfigDict(env_prefix="HOOKRECEIVER_", env_file=".env", extra="ignore")

    redis_url: SecretStr | None = Field(
        default=None, description="redis://, rediss:// or a cluster URL; unset = in-memory store"
    )
    max_body_size: int = Field(default=defaults.MAX_BODY_SIZE, gt=0)
    body_timeout: float = Field(
        default=defaults.BODY_TIMEOUT,
        gt=0,
        description="seconds a request may take to send its whole body (408 past it)",
    )
    max_buffered_bytes: int = Field(
        default=defaults.MAX_BUFFERED_BYTES,
        gt=0,
        description="bytes all requests being read or verified may hold at once (503 past it)",
    )
    max_header_count: int = Field(
        default=defaults.MAX_HEADER_COUNT,
        gt=0,
        description="header lines per request; more is a 431 before the body is read",
    )
    max_header_bytes: int = Field(
        default=defaults.MAX_HEADER_BYTES,
        gt=0,
        description="bytes of header names and values per request; more is a 431",
    )
    run_worker: bool = Field(default=True, description="run a worker inside the web process")
    worker_concurrency: int = Field(default=defaults.WORKER_CONCURRENCY, gt=0)
    max_attempts: int = Field(default=defaults.MAX_ATTEMPTS, gt=0)
    retry_base_delay: float = Field(default=defaults.RETRY_BASE_DELAY, gt=0)
    retry_max_delay: float = Field(default=defaults.RETRY_MAX_DELAY, gt=0)
    retention_seconds: float = Field(default=defaults.RETENTION, gt=0)
    memory_max_entries: int = Field(default=defaults.MEMORY_MAX_ENTRIES, gt=0)
    memory_max_bytes: int = Field(
        default=defaults.MEMORY_MAX_BYTES,
        gt=0,
        description="in-memory store: byte budget (bodies, decoded payloads)",
    )
    store_unrouted: bool = Field(
        default=True, description="keep deliveries no handler wants (as done), for replay"
    )
    shutdown_grace: float = Field(default=10.0, ge=0)
    trust_forwarded: bool = Field(
        default=False, description="build the public URL from X-Forwarded-Proto/Host"
    )
    public_base_url: str | None = Field(
        default=None, description="the public scheme://host[:port] senders call, behind a proxy"
    )
    health_path: str = Field(
        default="/healthz", description="liveness route below the mount point; empty = none"
    )
    ready_path: str = Field(default="/readyz", description="readiness route (pings the store); empty = none")
    log_format: Literal["text", "json"] = Field(
        default="text", description="`hookreceiver serve`/`worker` log lines: text or one JSON object"
    )

    @model_validator(mode="after")
    def _budget_fits_a_body(self) -> Settings:
        if self.max_buffered_bytes < self.max_body_size:
            raise ValueError(
                "max_buffered_bytes must be at least max_body_size, or a body of the allowed "
                "size could never be read"
            )
        return self

    @field_validator("health_path", "ready_path")
    @classmethod
    def _route(cls, value: str) -> str:
        if value and (not value.startswith("/") or any(c in "?#" or c.isspace() for c in value)):
            raise ValueError("a route path starts with '/' and has no '?', '#' or whitespace")
        return endpoint_path(value) if value else ""
