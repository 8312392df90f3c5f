"""HookReceiver and Endpoint: what users configure. ``HookReceiver`` is also the ASGI app.

The receiver is a table of endpoints (path -> provider + router + limits), a store and a worker.
It is the one module that wires the HTTP side (:mod:`hookreceiver.asgi`) and the worker
(:mod:`hookreceiver.worker`) together: neither imports it. Endpoints: :mod:`hookreceiver.endpoint`.
This module imports neither starlette nor redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from hookreceiver.core.delivery import endpoint_path
from hookreceiver.endpoint import Endpoint, Responder, RetryPolicy
from hookreceiver.exceptions import ConfigurationError, StoreUnavailable
from hookreceiver.observe import Observer
from hookreceiver.providers.base import Provider
from hookreceiver.settings import Settings
from hookreceiver.stores.base import Store
from hookreceiver.stores.from_settings import store_from_settings
from hookreceiver.worker import Worker

if TYPE_CHECKING:
    from hookreceiver.asgi import ReceiverApp

__all__ = ["Endpoint", "HookReceiver", "Responder"]

log = logging.getLogger("hookreceiver")


class HookReceiver:
    """A webhook receiver: endpoints, a store and a worker; call it as an ASGI app.

    With no ``store`` it uses Redis when ``HOOKRECEIVER_REDIS_URL`` is set, else the in-memory store.
    """

    def __init__(
        self,
        *,
        store: Store | None = None,
        settings: Settings | None = None,
        run_worker: bool | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings or Settings()
        self._store = store
        self.run_worker = self.settings.run_worker if run_worker is None else run_worker
        self.clock = clock
        self._endpoints: dict[str, Endpoint] = {}
        # Metrics, tracing or your own: each called once per answered request (hookreceiver.observe).
        self.observers: list[Observer] = []
        # `hookreceiver serve` sets this: the first start() refuses to run when the store is down.
        self.check_store_on_start = False
        self._app: ReceiverApp | None = None
        self._worker: Worker | None = None
        self._worker_lock: asyncio.Lock | None = None

    def __repr__(self) -> str:
        return f"HookReceiver(endpoints={list(self._endpoints)})"

    @property
    def endpoints(self) -> Mapping[str, Endpoint]:
        return self._endpoints

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = store_from_settings(self.settings, clock=self.clock)
        return self._store

    def endpoint(
        self,
        path: str,
        provider: Provider,
        *,
        max_body_size: int | None = None,
        max_attempts: int | None = None,
        public_url: str | None = None,
    ) -> Endpoint:
        """Serve ``provider`` at ``path`` (relative to where the receiver is mounted)."""
        path = self._free_path(path)
        if not isinstance(provider, Provider):
            raise ConfigurationError(f"{provider!r} does not implement the Provider protocol")
        _check_positive(max_body_size=max_body_size, max_attempts=max_attempts)
        if provider.unsigned:
            log.warning("endpoint %s accepts UNSIGNED deliveries: anyone can post to it", path)
        retry = self._retry_policy(max_attempts)
        size = self._body_cap(path, max_body_size)
        endpoint = Endpoint(path, provider, max_body_size=size, retry=retry, public_url=public_url)
        self._endpoints[path] = endpoint
        return endpoint

    def _free_path(self, path: str) -> str:
        """``path`` normalised, refused if malformed, a health route or already taken."""
        if not isinstance(path, str) or not path.startswith("/"):
            raise ConfigurationError(f"endpoint path {path!r} must start with '/'")
        if any(c in "?#" or c.isspace() for c in path):
            raise ConfigurationError(f"endpoint path {path!r} must not contain '?', '#' or whitespace")
        path = endpoint_path(path)
        if path in (self.settings.health_path, self.settings.ready_path):
            raise ConfigurationError(
                f"endpoint path {path!r} is the health route; set "
                "HOOKRECEIVER_HEALTH_PATH / HOOKRECEIVER_READY_PATH elsewhere"
            )
        if path in self._endpoints:
            raise ConfigurationError(f"endpoint path {path!r} is already taken")
        return path

    def _retry_policy(self, max_attempts: int | None) -> RetryPolicy:
        """The settings' retry policy, with the endpoint's own ``max_attempts`` if it has one."""
        s = self.settings
        return RetryPolicy(
            max_attempts=s.max_attempts if max_attempts is None else max_attempts,
            base_delay=s.retry_base_delay,
            max_delay=s.retry_max_delay,
        )

    def _body_cap(self, path: str, max_body_size: int | None) -> int:
        """The endpoint's body cap (the settings' unless given), refused past what can be buffered."""
        s = self.settings
        size = s.max_body_size if max_body_size is None else max_body_size
        if size > s.max_buffered_bytes:
            raise ConfigurationError(
                f"max_body_size {size} of {path!r} is over max_buffered_bytes {s.max_buffered_bytes}: "
                "such a body could never be read; raise HOOKRECEIVER_MAX_BUFFERED_BYTES"
            )
        return size

    # -- worker lifecycle ------------------------------------------------------------------

    @property
    def worker(self) -> Worker:
        """The in-process worker (created on first use)."""
        if self._worker is None:
            self._worker = Worker(self._endpoints, self.store, concurrency=self.settings.worker_concurrency)
        return self._worker

    async def start(self) -> None:
        """Start the in-process worker, if this receiver runs one."""
        if self.check_store_on_start:
            self.check_store_on_start = False
            from hookreceiver.health import check_store

            problem = await check_store(self.store)
            if problem is not None:
                raise StoreUnavailable(
                    f"the store does not answer: {problem}; start Redis or fix "
                    "HOOKRECEIVER_REDIS_URL (--no-check-store starts anyway)"
                )
        if self.run_worker and not self.worker.running:
            self.worker.start()
            log.info("worker started consumer=%s", self.worker.consumer)

    async def stop(self) -> None:
        """Stop the worker (in-flight handlers finish or are handed back) and close the store."""
        if self._worker is not None:
            await self._worker.stop(grace=self.settings.shutdown_grace)
        if self._store is not None:
            await self._store.close()

    async def ensure_started(self) -> None:
        """Start the worker lazily: mounted apps never see lifespan events."""
        if self.run_worker and (self._worker is None or not self._worker.running):
            await self.start()

    @contextlib.asynccontextmanager
    async def lifespan(self, app: object = None) -> AsyncIterator[None]:
        """A lifespan for a parent app: ``Starlette(..., lifespan=hooks.lifespan)``."""
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    @contextlib.contextmanager
    def override(
        self,
        *,
        store: Store | None = None,
        clock: Callable[[], float] | None = None,
        run_worker: bool | None = None,
    ) -> Iterator[Worker]:
        """Use another store, clock or worker setting inside the block, then restore the receiver.

        For tests (the testing kit's ``HookClient`` uses it): yields the worker bound to that
        store, which keeps the listeners of the worker it stands in for. The receiver must not be
        started: its running worker would keep using the old store.
        """
        if self._worker is not None and self._worker.running:
            raise RuntimeError(
                "the receiver's worker is running; override a receiver that has not been started"
            )
        saved = (self._store, self._worker, self.clock, self.run_worker, self._app)
        listeners = list(self._worker.listeners) if self._worker is not None else []
        if store is not None:
            self._store = store
        self.clock = clock or self.clock
        self.run_worker = self.run_worker if run_worker is None else run_worker
        self._worker, self._app = None, None  # rebuilt on the new store and clock
        try:
            self.worker.listeners.extend(listeners)
            yield self.worker
        finally:
            self._store, self._worker, self.clock, self.run_worker, self._app = saved

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._app is None:
            from hookreceiver.asgi import ReceiverApp

            self._app = ReceiverApp(
                self._endpoints,
                self.store,
                self.ensure_started,
                settings=self.settings,
                clock=self.clock,
                observers=self.observers,
                on_startup=self.start,
                on_shutdown=self.stop,
            )
        await self._app(scope, receive, send)


def _check_positive(**limits: int | None) -> None:
    """Each given limit is a positive integer (``None`` means the settings' value)."""
    for name, value in limits.items():
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise ConfigurationError(f"{name} must be a positive integer, not {value!r}")
