"""HookReceiver and Endpoint: what users configure. ``HookReceiver`` is also the ASGI app.

The receiver is a table of endpoints (path -> provider + router + limits), a store and a worker.
The HTTP side lives in :mod:`hookreceiver.asgi`; this module imports neither starlette nor redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

from hookreceiver.core.delivery import Delivery, Reply
from hookreceiver.core.routing import Router, check_handler
from hookreceiver.exceptions import ConfigurationError, StoreUnavailable
from hookreceiver.observe import Observer
from hookreceiver.providers.base import Provider
from hookreceiver.settings import Settings
from hookreceiver.stores.base import Store
from hookreceiver.stores.memory import MemoryStore
from hookreceiver.worker import RetryPolicy, Worker

if TYPE_CHECKING:
    from hookreceiver.asgi import ReceiverApp

__all__ = ["Endpoint", "HookReceiver", "Responder"]

log = logging.getLogger("hookreceiver")
H = TypeVar("H", bound=Callable[..., Any])
M = TypeVar("M")
R = TypeVar("R")
TypedHandler = Callable[[Delivery[M]], R]  # a handler of a payload validated into M, returning R
Responder = Callable[[Delivery], Any]


class Endpoint:
    """One path served by one provider instance, with its handlers and limits."""

    def __init__(
        self,
        path: str,
        provider: Provider,
        *,
        max_body_size: int,
        retry: RetryPolicy,
        public_url: str | None = None,
    ) -> None:
        self.path = path
        self.provider = provider
        self.router = Router()
        self.max_body_size = max_body_size
        self.retry = retry
        self.public_url = public_url
        self.responder: Responder | None = None

    def __repr__(self) -> str:
        return f"Endpoint({self.path!r}, {self.provider!r}, handlers={len(self.router)})"

    @overload
    def on(self, *patterns: str, model: type[M]) -> Callable[[TypedHandler[M, R]], TypedHandler[M, R]]: ...

    @overload
    def on(self, *patterns: str, model: None = None) -> Callable[[H], H]: ...

    def on(self, *patterns: str, model: type[Any] | None = None) -> Callable[[Any], Any]:
        """Bind a handler to topic patterns (``"invoice.paid"``, ``"invoice.*"``, ``"*"``).

        Handlers run after the sender got its 2xx; ``model`` validates the payload first. For type
        checkers, ``model=M`` takes a handler of ``Delivery[M]`` (or a bare ``Delivery``), so a
        handler annotated with another model is an error before it is a ``ConfigurationError``.
        """
        return self.router.on(*patterns, model=model)

    def respond(self, responder: H) -> H:
        """Register the inline handler: its return value is the HTTP response to the sender.

        It runs after the delivery is stored (for new and duplicate deliveries alike) and may
        return a ``Reply``, ``str``, ``bytes``, a dict (JSON) or ``None`` (the usual ack).
        """
        if self.responder is not None:
            raise ConfigurationError(f"endpoint {self.path} already has an inline handler")
        check_handler(responder)
        self.responder = responder
        return responder


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
            self._store = self._default_store()
        return self._store

    def _default_store(self) -> Store:
        if self.settings.redis_url is not None:
            from hookreceiver.stores.redis import RedisStore

            store: Store = RedisStore.from_url(self.settings.redis_url.get_secret_value(),
                                               retention=self.settings.retention_seconds)
            return store
        return MemoryStore(retention=self.settings.retention_seconds,
                           max_entries=self.settings.memory_max_entries,
                           max_bytes=self.settings.memory_max_bytes, clock=self.clock)

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
        if not isinstance(path, str) or not path.startswith("/"):
            raise ConfigurationError(f"endpoint path {path!r} must start with '/'")
        if any(c in "?#" or c.isspace() for c in path):
            raise ConfigurationError(
                f"endpoint path {path!r} must not contain '?', '#' or whitespace"
            )
        path = path.rstrip("/") or "/"
        if path in (self.settings.health_path, self.settings.ready_path):
            raise ConfigurationError(f"endpoint path {path!r} is the health route; set "
                                     "HOOKRECEIVER_HEALTH_PATH / HOOKRECEIVER_READY_PATH elsewhere")
        if path in self._endpoints:
            raise ConfigurationError(f"endpoint path {path!r} is already taken")
        if not isinstance(provider, Provider):
            raise ConfigurationError(f"{provider!r} does not implement the Provider protocol")
        for name, value in (("max_body_size", max_body_size), ("max_attempts", max_attempts)):
            if value is not None and (not isinstance(value, int) or value <= 0):
                raise ConfigurationError(f"{name} must be a positive integer, not {value!r}")
        if provider.unsigned:
            log.warning("endpoint %s accepts UNSIGNED deliveries: anyone can post to it", path)
        s = self.settings
        retry = RetryPolicy(
            max_attempts=s.max_attempts if max_attempts is None else max_attempts,
            base_delay=s.retry_base_delay,
            max_delay=s.retry_max_delay,
        )
        size = s.max_body_size if max_body_size is None else max_body_size
        endpoint = Endpoint(path, provider, max_body_size=size, retry=retry, public_url=public_url)
        self._endpoints[path] = endpoint
        return endpoint

    # -- worker lifecycle ------------------------------------------------------------------

    @property
    def worker(self) -> Worker:
        """The in-process worker (created on first use)."""
        if self._worker is None:
            self._worker = Worker(self, self.store, concurrency=self.settings.worker_concurrency)
        return self._worker

    async def start(self) -> None:
        """Start the in-process worker, if this receiver runs one."""
        if self.check_store_on_start:
            self.check_store_on_start = False
            from hookreceiver.health import check_store

            problem = await check_store(self.store)
            if problem is not None:
                raise StoreUnavailable(f"the store does not answer: {problem}; start Redis or fix "
                                       "HOOKRECEIVER_REDIS_URL (--no-check-store starts anyway)")
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

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._app is None:
            from hookreceiver.asgi import ReceiverApp

            self._app = ReceiverApp(self)
        await self._app(scope, receive, send)


def to_reply(value: Any) -> Reply | None:
    """Turn an inline handler's return value into a Reply (``None`` keeps the default ack)."""
    if value is None or isinstance(value, Reply):
        return value
    if isinstance(value, str):
        return Reply.text(value)
    if isinstance(value, bytes):
        return Reply(value, content_type="application/octet-stream")
    if isinstance(value, dict | list):
        return Reply.json(value)
    raise TypeError(f"an inline handler returned {type(value).__name__}; expected Reply, str, "
                    "bytes, dict or None")
