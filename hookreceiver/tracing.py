"""OpenTelemetry spans (the optional ``hookreceiver[tracing]`` extra, on ``opentelemetry-api``).

``Tracing().attach(hooks)`` records two kinds of span:

- ``hookreceiver.receive`` per admitted or rejected request (receive -> verify -> admit -> answer);
- ``hookreceiver.handle`` per job a worker runs (all of the delivery's matching handlers).

The web process and the worker are often different processes, and the store carries no trace
context. So both spans take as parent one remote span context derived from the delivery's dedupe
key (``trace_id`` and ``span_id`` are hashes of it): every span of one delivery - its receipt,
each retry, a replay - lands in the same trace, in whichever process it ran. Spans carry the
endpoint, provider, topic and delivery id; never a header, body or secret.

Only ``opentelemetry-api`` is needed here; configure a ``TracerProvider`` (opentelemetry-sdk)
as usual to export the spans anywhere.
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any

from hookreceiver.exceptions import ConfigurationError

if TYPE_CHECKING:
    from hookreceiver.core.delivery import Delivery
    from hookreceiver.receiver import HookReceiver
    from hookreceiver.worker import Outcome

try:
    from opentelemetry import trace
except ImportError:  # pragma: no cover - exercised by the import-boundary test's subprocess
    trace = None  # type: ignore[assignment]

__all__ = ["Tracing", "delivery_trace_id"]


def delivery_trace_id(key: str) -> tuple[int, int]:
    """The (trace_id, parent span_id) every span of the delivery with dedupe key ``key`` shares."""
    digest = hashlib.sha256(b"hookreceiver-trace\0" + key.encode("utf-8", "surrogatepass")).digest()
    trace_id = int.from_bytes(digest[:16], "big") or 1  # zero is invalid in OpenTelemetry
    span_id = int.from_bytes(digest[16:24], "big") or 1
    return trace_id, span_id


class Tracing:
    """Span recorder for one receiver; ``tracer_provider`` defaults to the global one."""

    def __init__(self, tracer_provider: Any = None) -> None:
        if trace is None:
            raise ConfigurationError("tracing needs opentelemetry-api: pip install 'hookreceiver[tracing]'")
        self.tracer = trace.get_tracer("hookreceiver", tracer_provider=tracer_provider)

    def attach(self, receiver: HookReceiver) -> Tracing:
        """Make ``receiver`` (its HTTP side and its worker) record spans; returns ``self``."""
        receiver.observers.append(self)
        receiver.worker.listeners.append(self.outcome)
        return self

    def _parent(self, key: str) -> Any:
        trace_id, span_id = delivery_trace_id(key)
        context = trace.SpanContext(
            trace_id=trace_id,
            span_id=span_id,
            is_remote=True,
            trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
        )
        return trace.set_span_in_context(trace.NonRecordingSpan(context))

    def _record(
        self,
        name: str,
        delivery: Delivery,
        seconds: float,
        attributes: dict[str, Any],
        error: BaseException | None = None,
    ) -> None:
        end = time.time_ns()
        start = end - int(seconds * 1e9)
        span = self.tracer.start_span(
            name,
            context=self._parent(delivery.key),
            start_time=start,
            kind=trace.SpanKind.SERVER if name.endswith("receive") else trace.SpanKind.CONSUMER,
        )
        span.set_attributes(
            {
                "hookreceiver.endpoint": delivery.endpoint,
                "hookreceiver.provider": delivery.provider,
                "hookreceiver.topic": delivery.topic,
                "hookreceiver.delivery_id": delivery.delivery_id,
                "hookreceiver.attempt": delivery.attempt,
                **attributes,
            }
        )
        if error is not None:
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(error).__name__))
        span.end(end_time=end)

    # -- the observer interface (see hookreceiver.observe) ------------------------------------

    def admitted(self, delivery: Delivery, status: str, seconds: float) -> None:
        self._record("hookreceiver.receive", delivery, seconds, {"hookreceiver.status": status})

    def rejected(self, endpoint: str, reason: str) -> None:
        """Rejections have no trusted delivery key, so they get no delivery trace."""

    def outcome(self, outcome: Outcome) -> None:
        """A worker listener: one ``hookreceiver.handle`` span per finished job."""
        if outcome.status == "released":
            return
        self._record(
            "hookreceiver.handle",
            outcome.delivery,
            outcome.duration or 0.0,
            {"hookreceiver.outcome": outcome.status},
            outcome.error,
        )
