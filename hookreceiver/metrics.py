"""Prometheus metrics (the optional ``hookreceiver[metrics]`` extra, on ``prometheus_client``).

``Metrics(registry)`` owns every series; ``metrics.attach(hooks)`` makes the receiver and its
worker report to it, and :func:`metrics_app` is an ASGI app serving ``/metrics`` to mount beside
the receiver. The two inbox gauges are read from the store (``Store.stats``) when they are
scraped: ``metrics_app(metrics=metrics)`` refreshes them before each answer, from the attached
receiver's store; with another exporter, run :meth:`Metrics.poll_inbox` as a task. Without
``attach`` the receive path does no metrics work at all (one ``None`` check). Under several
processes set ``PROMETHEUS_MULTIPROC_DIR`` before they start (the ``prometheus_client``
multiprocess mode): counters and histograms are summed across processes and the inbox gauges
keep the latest value.

Series (all prefixed ``hookreceiver_``):

=================================  ==============================================================
``deliveries_total``               admitted deliveries by endpoint, provider, outcome
                                   (``accepted``, ``duplicate``, ``unrouted``)
``duplicates_total``               duplicates by endpoint
``rejections_total``               rejected requests by endpoint and reason (``bad_signature``...)
``ack_seconds``                    time from the request to the answer of an admitted delivery
``handler_seconds``                one job's handlers, by endpoint and outcome
``handler_failures_total``         jobs whose handler raised, by endpoint
``retries_total``                  jobs scheduled to run again, by endpoint
``dead_letters_total``             jobs moved to the dead letters, by endpoint
``inbox_depth``                    deliveries due and not yet started (``StoreStats.depth``)
``inbox_oldest_age_seconds``       seconds the oldest of them has waited (``StoreStats.oldest_age``)
=================================  ==============================================================
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING, Any

from hookreceiver.exceptions import ConfigurationError, StoreError

if TYPE_CHECKING:
    from hookreceiver.core.delivery import Delivery
    from hookreceiver.receiver import HookReceiver
    from hookreceiver.stores.base import Store
    from hookreceiver.worker import Outcome

try:
    import prometheus_client
except ImportError:  # pragma: no cover - exercised by the import-boundary test's subprocess
    prometheus_client = None  # type: ignore[assignment]

__all__ = ["Metrics", "metrics_app"]

log = logging.getLogger("hookreceiver.metrics")
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_HANDLER_BUCKETS = (0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0)


def _require() -> Any:
    if prometheus_client is None:
        raise ConfigurationError("metrics need prometheus_client: pip install 'hookreceiver[metrics]'")
    return prometheus_client


class Metrics:
    """Every hookreceiver series, registered on ``registry`` (the default registry if omitted)."""

    def __init__(self, registry: Any = None, *, namespace: str = "hookreceiver") -> None:
        prom = _require()
        reg = prom.REGISTRY if registry is None else registry
        ns = namespace
        self.registry = reg
        self.receiver: HookReceiver | None = None  # set by attach: whose store the gauges read
        self.deliveries = prom.Counter(
            "deliveries",
            "Admitted deliveries",
            ["endpoint", "provider", "outcome"],
            namespace=ns,
            registry=reg,
        )
        self.duplicates = prom.Counter(
            "duplicates", "Duplicate deliveries", ["endpoint"], namespace=ns, registry=reg
        )
        self.rejections = prom.Counter(
            "rejections", "Rejected requests", ["endpoint", "reason"], namespace=ns, registry=reg
        )
        self.ack_seconds = prom.Histogram(
            "ack_seconds",
            "Request to answer, admitted deliveries",
            ["endpoint"],
            namespace=ns,
            registry=reg,
            buckets=_LATENCY_BUCKETS,
        )
        self.handler_seconds = prom.Histogram(
            "handler_seconds",
            "Handler run time per job",
            ["endpoint", "outcome"],
            namespace=ns,
            registry=reg,
            buckets=_HANDLER_BUCKETS,
        )
        self.handler_failures = prom.Counter(
            "handler_failures", "Jobs whose handler raised", ["endpoint"], namespace=ns, registry=reg
        )
        self.retries = prom.Counter(
            "retries", "Jobs scheduled to run again", ["endpoint"], namespace=ns, registry=reg
        )
        self.dead_letters = prom.Counter(
            "dead_letters", "Jobs moved to the dead letters", ["endpoint"], namespace=ns, registry=reg
        )
        self.inbox_depth = prom.Gauge(
            "inbox_depth",
            "Deliveries waiting in the inbox",
            namespace=ns,
            registry=reg,
            multiprocess_mode="mostrecent",
        )
        self.inbox_oldest_age = prom.Gauge(
            "inbox_oldest_age_seconds",
            "Age of the oldest waiting delivery",
            namespace=ns,
            registry=reg,
            multiprocess_mode="mostrecent",
        )

    def attach(self, receiver: HookReceiver) -> Metrics:
        """Make ``receiver`` (its HTTP side and its worker) report here; returns ``self``."""
        receiver.observers.append(self)
        receiver.worker.listeners.append(self.outcome)
        self.receiver = receiver
        return self

    # -- called by the receiver ----------------------------------------------------------------

    def admitted(self, delivery: Delivery, status: str, seconds: float) -> None:
        """One delivery answered 2xx: ``status`` is accepted, duplicate or unrouted."""
        endpoint = delivery.endpoint
        self.deliveries.labels(endpoint, delivery.provider, status).inc()
        if status == "duplicate":
            self.duplicates.labels(endpoint).inc()
        self.ack_seconds.labels(endpoint).observe(seconds)

    def rejected(self, endpoint: str, reason: str) -> None:
        """One request refused with ``reason`` (unknown paths are counted under endpoint ``-``)."""
        self.rejections.labels(endpoint, reason).inc()

    def outcome(self, outcome: Outcome) -> None:
        """A worker listener: one job finished (done, retry, dead or released)."""
        endpoint = outcome.delivery.endpoint
        if outcome.duration is not None:
            self.handler_seconds.labels(endpoint, outcome.status).observe(outcome.duration)
        if outcome.status in ("retry", "dead"):
            self.handler_failures.labels(endpoint).inc()
        if outcome.status == "retry":
            self.retries.labels(endpoint).inc()
        elif outcome.status == "dead":
            self.dead_letters.labels(endpoint).inc()

    def observe_inbox(self, depth: int, oldest_age: float) -> None:
        """Set the inbox gauges (:meth:`refresh_inbox` does, from the store)."""
        self.inbox_depth.set(depth)
        self.inbox_oldest_age.set(oldest_age)

    def _store(self, store: Store | None) -> Store:
        if store is not None:
            return store
        if self.receiver is None:
            raise ConfigurationError("refresh_inbox needs a store, or attach(receiver) first")
        return self.receiver.store

    async def refresh_inbox(self, store: Store | None = None, *, timeout: float = 2.0) -> bool:
        """Read the inbox from ``store`` (default: the attached receiver's) into the gauges.

        ``False``, and the gauges keep their last values, when the store does not answer
        within ``timeout`` seconds (a scrape must not hang on a store that is down).
        """
        try:
            stats = await asyncio.wait_for(self._store(store).stats(), timeout)
        except (StoreError, TimeoutError) as exc:
            log.debug("inbox gauges not refreshed: %s", exc or type(exc).__name__)
            return False
        self.observe_inbox(stats.depth, stats.oldest_age)
        return True

    async def poll_inbox(self, store: Store | None = None, *, interval: float = 15.0) -> None:
        """Refresh the inbox gauges every ``interval`` seconds until cancelled (for exporters
        other than :func:`metrics_app`, e.g. ``prometheus_client.start_http_server``)."""
        store = self._store(store)
        while True:
            await self.refresh_inbox(store)
            await asyncio.sleep(interval)


def metrics_app(registry: Any = None, *, metrics: Metrics | None = None) -> Any:
    """An ASGI app answering with the metrics text; multiprocess-aware when
    ``PROMETHEUS_MULTIPROC_DIR`` is set (then it collects every process's files).

    With ``metrics`` (attached to a receiver) each scrape first refreshes the inbox gauges from
    the receiver's store, and the registry defaults to ``metrics.registry``.
    """
    prom = _require()
    if registry is None and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = prom.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    if registry is None:
        registry = metrics.registry if metrics is not None else prom.REGISTRY
    exporter = prom.make_asgi_app(registry=registry)
    if metrics is None:
        return exporter

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await metrics.refresh_inbox()
        await exporter(scope, receive, send)

    return app
