"""Prometheus metrics (the optional ``hookreceiver[metrics]`` extra, on ``prometheus_client``).

``Metrics(registry)`` owns every series; ``metrics.attach(hooks)`` makes the receiver and its
worker report to it, and :func:`metrics_app` is an ASGI app serving ``/metrics`` to mount beside
the receiver. Without ``attach`` the receive path does no metrics work at all (one ``None``
check). Under several processes set ``PROMETHEUS_MULTIPROC_DIR`` before they start (the
``prometheus_client`` multiprocess mode): counters and histograms are summed across processes and
the inbox gauges keep the latest value.

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
``inbox_depth``                    deliveries waiting in the inbox (from :meth:`Metrics.observe_inbox`)
``inbox_oldest_age_seconds``       age of the oldest waiting delivery
=================================  ==============================================================
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from hookreceiver.exceptions import ConfigurationError

if TYPE_CHECKING:
    from hookreceiver.core.delivery import Delivery
    from hookreceiver.receiver import HookReceiver
    from hookreceiver.worker import Outcome

try:
    import prometheus_client
except ImportError:  # pragma: no cover - exercised by the import-boundary test's subprocess
    prometheus_client = None  # type: ignore[assignment]

__all__ = ["Metrics", "metrics_app"]

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
        """Set the inbox gauges (``hookreceiver stats`` and the stats poller call this)."""
        self.inbox_depth.set(depth)
        self.inbox_oldest_age.set(oldest_age)


def metrics_app(registry: Any = None) -> Any:
    """An ASGI app answering with the metrics text; multiprocess-aware when
    ``PROMETHEUS_MULTIPROC_DIR`` is set (then it collects every process's files)."""
    prom = _require()
    if registry is None and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = prom.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return prom.make_asgi_app(registry=prom.REGISTRY if registry is None else registry)
