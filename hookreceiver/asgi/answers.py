"""What the receiver answers and logs for one request: the response, the refusal, the log line.

The ASGI layer (:mod:`hookreceiver.asgi`) decides; this module writes. An :class:`Answer` is sent
with two ASGI messages and nothing else (a Starlette ``Response`` built its headers through
several objects, on every request). Every refusal is ``{"error": reason, "detail": ...}`` and one
log line; every admitted delivery one log line and the observers' call.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from hookreceiver.core.delivery import Delivery, HttpRequest, Reply
from hookreceiver.endpoint import Endpoint
from hookreceiver.exceptions import (
    DeliveryError,
    HookReceiverError,
    ReceiverBusy,
    StaleTimestamp,
    StoreUnavailable,
)
from hookreceiver.logs import request_fields
from hookreceiver.logtext import loggable, loggable_text
from hookreceiver.observe import Observer
from hookreceiver.tally import RejectionTally

__all__ = [
    "Answer",
    "Refusal",
    "admitted",
    "describe",
    "json_answer",
    "peek",
    "refused",
    "reply_answer",
    "safely",
]

log = logging.getLogger("hookreceiver")


_JSON_TYPE = (b"content-type", b"application/json")


@dataclass
class Answer:
    """One HTTP response: status, body, content type and extra headers (added to until sent)."""

    status_code: int
    body: bytes
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers as sent: the extra ones, then the body's length and type unless given."""
        status = self.status_code
        has_body = not (status < 200 or status in (204, 304))
        if has_body and not self.headers and self.content_type == "application/json":
            # Every ack and refusal: no extra header to read.
            return [(b"content-length", b"%d" % len(self.body)), _JSON_TYPE]
        return self._headers(has_body)

    def _headers(self, has_body: bool) -> list[tuple[bytes, bytes]]:
        raw = [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in self.headers.items()
        ]
        names = {name for name, _ in raw}
        if b"content-length" not in names and has_body:
            raw.append((b"content-length", str(len(self.body)).encode("latin-1")))
        content_type = self.content_type
        if content_type is not None and b"content-type" not in names:
            if content_type.startswith("text/") and "charset=" not in content_type.lower():
                content_type += "; charset=utf-8"
            raw.append((b"content-type", content_type.encode("latin-1")))
        return raw

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers()})
        await send({"type": "http.response.body", "body": self.body})


def reply_answer(reply: Reply) -> Answer:
    return Answer(reply.status, reply.body, reply.content_type, dict(reply.headers))


def json_answer(data: dict[str, Any], *, status: int = 200) -> Answer:
    """A compact JSON response. A str that is not valid Unicode text (one a provider let through)
    is written ASCII-escaped by ``json``: an ack must never fail after the delivery is stored."""
    try:
        body = orjson.dumps(data)
    except (TypeError, orjson.JSONEncodeError):
        body = json.dumps(data, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return Answer(status, body, "application/json")


def describe(exc: HookReceiverError) -> tuple[str, str, str | None, dict[str, Any]] | None:
    """A refusal's reason, public detail, log-only detail and extra JSON fields; ``None`` for an
    error that is not a refusal (a configuration error, say: our bug, answered as a 500)."""
    if isinstance(exc, DeliveryError):
        extra = {"skew": round(exc.skew)} if isinstance(exc, StaleTimestamp) else {}
        return exc.reason, exc.detail, None, extra
    if isinstance(exc, ReceiverBusy):
        return "busy", str(exc), None, {}
    if isinstance(exc, StoreUnavailable):
        return "store_unavailable", "the delivery could not be stored; retry later", str(exc), {}
    return None


def peek(endpoint: Endpoint, request: HttpRequest) -> str | None:
    """The delivery id the provider can name without trusting the body, for a rejection's log line."""
    try:
        value = endpoint.provider.peek_delivery_id(request)
    except Exception:  # best effort: a log detail must never turn a 4xx into a 500
        log.debug("peek_delivery_id failed endpoint=%s", endpoint.path, exc_info=True)
        return None
    return value if isinstance(value, str) and value else None


def safely(call: Any, *args: Any) -> None:
    """Run an observer; its failure is logged, never the sender's problem."""
    try:
        call(*args)
    except Exception:
        log.exception("observer failed: %r", call)


@dataclass(frozen=True)
class Refusal:
    """What a refusal's answer and log line say."""

    status: int
    reason: str
    detail: str
    log_detail: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def refused(
    refusal: Refusal,
    *,
    full_path: str,
    endpoint: Endpoint | None,
    started: float,
    delivery_id: str | None,
    verified: bool,
    observers: Sequence[Observer],
    tally: RejectionTally,
) -> Answer:
    """A refusal: the store's rejection counter, observers, its log line (with the mount prefix
    and duration), the 4xx/503 answer."""
    tally.add(refusal.reason)
    for observer in observers:
        safely(observer.rejected, endpoint.path if endpoint is not None else "-", refusal.reason)
    # A path with no endpoint is what scanners probe: worth an INFO line, not a WARNING.
    level = logging.WARNING if endpoint is not None else logging.INFO
    if log.isEnabledFor(level):
        shown = "-"
        if delivery_id:
            # An id read from a rejected request was not verified: say so, so nobody trusts it.
            shown = loggable(delivery_id) + ("" if verified else " (unverified)")
        full = loggable(full_path)
        duration = time.perf_counter() - started
        fields = request_fields(
            endpoint=full,
            outcome="rejected",
            status=refusal.status,
            duration=duration,
            provider=endpoint.provider.name if endpoint is not None else None,
            delivery_id=delivery_id,
            reason=refusal.reason,
            verified=verified,
        )
        log.log(
            level,
            "rejected endpoint=%s delivery_id=%s status=%d reason=%s duration_ms=%.1f detail=%s",
            full,
            shown,
            refusal.status,
            refusal.reason,
            duration * 1000,
            loggable_text(refusal.log_detail or refusal.detail),
            extra=fields,
        )
    body = {"error": refusal.reason, "detail": refusal.detail, **refusal.extra}
    return json_answer(body, status=refusal.status)


def admitted(
    delivery: Delivery,
    status: str,
    http_status: int,
    *,
    mount: str,
    path: str,
    started: float,
    observers: Sequence[Observer],
) -> None:
    """An answered delivery: observers and its one log line, naming the endpoint with its
    ``mount`` prefix (no work at all when neither is on: this runs for every delivery)."""
    if not observers and not log.isEnabledFor(logging.INFO):
        return
    duration = time.perf_counter() - started
    for observer in observers:
        safely(observer.admitted, delivery, status, duration)
    full = loggable(mount + path)
    log.info(
        "%s endpoint=%s provider=%s topic=%s delivery_id=%s id_source=%s status=%d "
        "secret_index=%s duration_ms=%.1f",
        status,
        full,
        delivery.provider,
        loggable(delivery.topic),
        loggable(delivery.delivery_id),
        delivery.id_source,
        http_status,
        delivery.secret_index,
        duration * 1000,
        extra=request_fields(
            endpoint=full,
            outcome=status,
            status=http_status,
            duration=duration,
            provider=delivery.provider,
            topic=delivery.topic,
            delivery_id=delivery.delivery_id,
            secret_index=delivery.secret_index,
        ),
    )
