"""The ASGI side: the only module that imports starlette.

One delivery is a straight line: find the endpoint, check the method, read the body once under a
cap, let the provider verify/decode/identify it (pure core), admit it to the store, answer. Every
rejection is a small JSON body ``{"error": reason, "detail": ...}`` and one log line.
"""

from __future__ import annotations

import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from hookreceiver.core.delivery import Delivery, HttpRequest, Reply, endpoint_path
from hookreceiver.endpoint import Endpoint, public_url
from hookreceiver.exceptions import (
    DeliveryError,
    HeadersTooLarge,
    HookReceiverError,
    MethodNotAllowed,
    ReceiverBusy,
    StaleTimestamp,
    StoreError,
    StoreUnavailable,
    UnknownEndpoint,
)
from hookreceiver.health import liveness, readiness
from hookreceiver.intake import BufferBudget, read_body
from hookreceiver.logs import request_fields
from hookreceiver.logtext import loggable, loggable_text
from hookreceiver.observe import Observer
from hookreceiver.providers.base import receive_all as receive_deliveries
from hookreceiver.settings import Settings
from hookreceiver.stores.base import Admission, Store
from hookreceiver.tally import RejectionTally

__all__ = ["OFFLOAD_BODY_SIZE", "ReceiverApp", "check_headers", "read_body", "route_path", "warm_up"]

log = logging.getLogger("hookreceiver")

# Verifying and decoding is pure CPU work; past this many body bytes it runs in a worker thread,
# so one big request (a flood of XML elements, say) cannot hold up every other request.
OFFLOAD_BODY_SIZE = 64 * 1024


def route_path(scope: Scope) -> str:
    """The request path below where the receiver is mounted (``root_path`` removed)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        path = path[len(root) :]
    return endpoint_path(path)


def check_headers(scope: Scope, *, max_count: int, max_bytes: int) -> None:
    """Refuse (431) a request with more than ``max_count`` header lines or ``max_bytes`` of them.

    Some HTTP servers (uvicorn with httptools) pass any number of headers of any size to the
    app; they are counted before anything is built from them.
    """
    headers = scope.get("headers", [])
    if len(headers) > max_count:
        raise HeadersTooLarge(f"{len(headers)} header lines; at most {max_count} are accepted")
    size = 0
    for name, value in headers:
        size += len(name) + len(value)
    if size > max_bytes:
        raise HeadersTooLarge(f"{size} bytes of headers; at most {max_bytes} are accepted")


def _headers(scope: Scope) -> dict[str, str]:
    values: dict[str, list[str]] = {}  # a repeated header is joined once (joining as we go is quadratic)
    for raw_name, raw_value in scope.get("headers", []):
        values.setdefault(raw_name.decode("latin-1").lower(), []).append(raw_value.decode("latin-1"))
    return {name: ", ".join(parts) for name, parts in values.items()}


async def warm_up() -> None:
    """Load now what the request path would otherwise import on first use.

    anyio loads its event-loop backend, its timeout scopes and the thread pool lazily, from disk.
    Under a flood of connections that has used up the process's open files, that first import
    fails (``EMFILE``) and every request doing it was a 500; run at startup, before the socket
    accepts anyone, it is done once and for all.
    """
    with anyio.fail_after(60):
        await anyio.sleep(0)
    await run_in_threadpool(_noop)


def _noop() -> None:
    return None


Hook = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    return None


@dataclass
class _Call:
    """One request's state, local to it: what a refusal's answer and log line need to know."""

    scope: Scope
    started: float
    endpoint: Endpoint | None
    request: HttpRequest | None = None  # built once the headers are accepted
    delivery_id: str | None = None  # set once a verified delivery goes to the store
    close: bool = False  # the body is not read to its end: close the connection after the answer


class ReceiverApp:
    """The ASGI application behind a :class:`~hookreceiver.HookReceiver`.

    It serves ``endpoints`` (path -> Endpoint, read per request) and admits deliveries to
    ``store``, awaiting ``on_accepted()`` after each new routed one (the receiver starts its
    worker there). ``on_startup`` and ``on_shutdown`` run on ASGI lifespan events;
    ``observers`` (read per request) hear about every answer.
    """

    def __init__(
        self,
        endpoints: Mapping[str, Endpoint],
        store: Store,
        on_accepted: Hook = _nothing,
        *,
        settings: Settings,
        clock: Callable[[], float],
        observers: Sequence[Observer] = (),
        on_startup: Hook = _nothing,
        on_shutdown: Hook = _nothing,
    ) -> None:
        self.endpoints = endpoints
        self.store = store
        self.on_accepted = on_accepted
        self.settings = settings
        self.clock = clock
        self.observers = observers
        self.tally = RejectionTally(store)  # rejections by reason, for ``hookreceiver stats``
        # bytes held by requests still being read or verified (see hookreceiver.intake)
        self.budget = BufferBudget(settings.max_buffered_bytes)
        self.on_startup = on_startup
        self.on_shutdown = on_shutdown
        self._health = {
            path: kind
            for path, kind in ((settings.health_path, "live"), (settings.ready_path, "ready"))
            if path
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            try:
                response = await self._handle(scope, receive)
            except Exception:
                # Our bug, not the sender's: a 500 makes the provider retry, so nothing is lost.
                log.exception("internal error endpoint=%s", loggable(route_path(scope)))
                response = _json(
                    {"error": "internal_error", "detail": "the receiver failed; retry later"}, status=500
                )
            await response(scope, receive, send)
        # websockets are not ours: returning without accepting closes them

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await warm_up()
                    await self.on_startup()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.tally.flush()
                await self.on_shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _public_url(self, scope: Scope, endpoint: Endpoint, headers: dict[str, str], query: str) -> str:
        # ASGI puts root_path inside path; older servers leave it out, so add it back then.
        root: str = scope.get("root_path", "")
        path: str = scope["path"] if scope["path"].startswith(root) else root + scope["path"]
        base = self.settings.public_base_url
        origin = "" if endpoint.public_url or base else self._origin(scope, headers)
        return public_url(endpoint, base_url=base, origin=origin, path=path, query=query)

    def _origin(self, scope: Scope, headers: dict[str, str]) -> str:
        """``scheme://host`` as the request names it (the forwarded one if trusted)."""
        settings = self.settings
        scheme: str = scope.get("scheme") or "http"
        host = headers.get("host", "")
        if settings.trust_forwarded:
            scheme = headers.get("x-forwarded-proto", scheme or "http").split(",")[0].strip()
            host = headers.get("x-forwarded-host", host).split(",")[0].strip()
        if not host and scope.get("server"):
            server_host, port = scope["server"]
            host = f"{server_host}:{port}"
        return f"{scheme}://{host}"

    async def _health_check(self, kind: str, method: str) -> Response:
        if method not in ("GET", "HEAD"):
            response = _json({"error": "method_not_allowed", "detail": "use GET"}, status=405)
            response.headers["allow"] = "GET, HEAD"
            return response
        status, body = liveness() if kind == "live" else await readiness(self.store)
        return _json(body, status=status)

    def _rejected(
        self,
        scope: Scope,
        endpoint: Endpoint | None,
        started: float,
        delivery_id: str | None,
        status: int,
        reason: str,
        detail: str,
        *,
        log_detail: str | None = None,
        verified: bool = True,
        extra: dict[str, Any] | None = None,
    ) -> Response:
        """A rejection: its log line (with the mount prefix and duration), observers, the store's
        rejection counter, the 4xx/503."""
        self.tally.add(reason)
        for observer in self.observers:
            _safely(observer.rejected, endpoint.path if endpoint is not None else "-", reason)
        shown = "-"
        if delivery_id:
            # An id read from a rejected request was not verified: say so, so nobody trusts it.
            shown = loggable(delivery_id) + ("" if verified else " (unverified)")
        # A path with no endpoint is what scanners probe: worth an INFO line, not a WARNING.
        level = logging.WARNING if endpoint is not None else logging.INFO
        if log.isEnabledFor(level):
            full = loggable(scope.get("root_path", "") + route_path(scope))
            duration = time.perf_counter() - started
            fields = request_fields(
                endpoint=full,
                outcome="rejected",
                status=status,
                duration=duration,
                provider=endpoint.provider.name if endpoint is not None else None,
                delivery_id=delivery_id,
                reason=reason,
                verified=verified,
            )
            log.log(
                level,
                "rejected endpoint=%s delivery_id=%s status=%d reason=%s duration_ms=%.1f detail=%s",
                full,
                shown,
                status,
                reason,
                duration * 1000,
                loggable_text(log_detail or detail),
                extra=fields,
            )
        return _json({"error": reason, "detail": detail, **(extra or {})}, status=status)

    async def _handle(self, scope: Scope, receive: Receive) -> Response:
        started = time.perf_counter()
        path = route_path(scope)
        endpoint = self.endpoints.get(path)
        if endpoint is None and path in self._health:
            return await self._health_check(self._health[path], scope["method"])
        call = _Call(scope, started, endpoint)
        try:
            return await self._serve(call, receive, path)
        except HookReceiverError as exc:  # every refusal, answered through its status_hint
            return self._refused(call, exc)

    async def _serve(self, call: _Call, receive: Receive, path: str) -> Response:
        """Endpoint, method, headers, body, provider, store: each step answers or raises."""
        scope, endpoint, method = call.scope, call.endpoint, call.scope["method"]
        if endpoint is None:
            raise UnknownEndpoint(f"no endpoint at {path}")
        call.close = True  # the body is left unread: close after the answer
        check_headers(
            scope, max_count=self.settings.max_header_count, max_bytes=self.settings.max_header_bytes
        )
        call.close = False
        headers = _headers(scope)
        query = scope.get("query_string", b"").decode("latin-1")
        call.request = HttpRequest(  # the body is read below, once the method is known to be wanted
            method=method,
            url=self._public_url(scope, endpoint, headers, query),
            path=path,
            headers=headers,
            query_string=query,
        )
        if method not in endpoint.provider.methods:
            allow = ", ".join(sorted(endpoint.provider.methods))
            raise MethodNotAllowed(f"{method} is not accepted here; use {allow}")
        hold = self.budget.hold()
        call.close = True  # until the whole body is read
        try:
            body = await read_body(
                receive, headers, endpoint.max_body_size, timeout=self.settings.body_timeout, hold=hold
            )
            request, now = replace(call.request, body=body), self.clock()
            call.request, call.close = request, False
            if len(request.body) > OFFLOAD_BODY_SIZE:
                outcome = await run_in_threadpool(
                    receive_deliveries, endpoint.provider, request, endpoint=endpoint.path, now=now
                )
            else:
                outcome = receive_deliveries(endpoint.provider, request, endpoint=endpoint.path, now=now)
        finally:
            hold.release()  # verified (or refused): no longer an unverified body
        if isinstance(outcome, Reply):
            log.info(
                "handshake answered endpoint=%s status=%d secret_index=%s",
                path,
                outcome.status,
                outcome.secret_index,
            )
            return _response(outcome)
        if len(outcome) == 1:
            return await self._admit(call, endpoint, outcome[0])
        return await self._admit_batch(call, endpoint, outcome)

    def _refused(self, call: _Call, exc: HookReceiverError) -> Response:
        """The one answer to every refusal: ``exc.status_hint``, its reason and detail as JSON,
        one log line. Errors that are our own bugs (no request-level meaning) are re-raised."""
        described = _describe(exc)
        if described is None:
            raise exc
        reason, detail, log_detail, extra = described
        endpoint, request = call.endpoint, call.request
        delivery_id = call.delivery_id
        if delivery_id is None and endpoint is not None and request is not None:
            delivery_id = _peek(endpoint, request)
        response = self._rejected(
            call.scope,
            endpoint,
            call.started,
            delivery_id,
            exc.status_hint,
            reason,
            detail,
            log_detail=log_detail,
            verified=endpoint is None or call.delivery_id is not None,  # a 404 has no id to doubt
            extra=extra,
        )
        if isinstance(exc, MethodNotAllowed) and endpoint is not None:
            response.headers["allow"] = ", ".join(sorted(endpoint.provider.methods))
        if isinstance(exc, ReceiverBusy):
            response.headers["retry-after"] = "5"
        if call.close:
            response.headers["connection"] = "close"
        return response

    async def _admit(self, call: _Call, endpoint: Endpoint, delivery: Delivery) -> Response:
        status = await self._store(call, endpoint, delivery)
        reply = await self._respond(endpoint, delivery) if endpoint.responder is not None else None
        reply = endpoint.provider.ack(delivery, reply)  # the provider's own ack shape, if any
        response = (
            _response(reply)
            if reply is not None
            else _json({"status": status, "delivery_id": delivery.delivery_id, "topic": delivery.topic})
        )
        self._admitted(call.scope, endpoint, delivery, status, response.status_code, call.started)
        return response

    async def _admit_batch(
        self, call: _Call, endpoint: Endpoint, deliveries: tuple[Delivery, ...]
    ) -> Response:
        """Store each delivery of a batch in order; answer once, after the last is stored.

        A store failure answers 503 at once: the sender retries the whole batch, and the items
        stored already are duplicates then. Inline handlers run for each delivery; the provider's
        ``ack`` shapes the one answer from the last delivery and its reply.
        """
        statuses: list[dict[str, str]] = []
        reply: Reply | None = None
        for delivery in deliveries:
            status = await self._store(call, endpoint, delivery)
            statuses.append({"status": status, "delivery_id": delivery.delivery_id, "topic": delivery.topic})
        for delivery in deliveries if endpoint.responder is not None else ():
            reply = await self._respond(endpoint, delivery)
        reply = endpoint.provider.ack(deliveries[-1], reply)
        response = (
            _response(reply) if reply is not None else _json({"status": "batch", "deliveries": statuses})
        )
        for delivery, entry in zip(deliveries, statuses, strict=True):
            self._admitted(
                call.scope, endpoint, delivery, entry["status"], response.status_code, call.started
            )
        return response

    def _admitted(
        self,
        scope: Scope,
        endpoint: Endpoint,
        delivery: Delivery,
        status: str,
        http_status: int,
        started: float,
    ) -> None:
        """An answered delivery: observers and its one log line (no work when neither is on)."""
        observers = self.observers
        if not observers and not log.isEnabledFor(logging.INFO):
            return
        duration = time.perf_counter() - started
        for observer in observers:
            _safely(observer.admitted, delivery, status, duration)
        full = loggable(scope.get("root_path", "") + endpoint.path)
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

    async def _store(self, call: _Call, endpoint: Endpoint, delivery: Delivery) -> str:
        """Admit (or record) one delivery: its status word; ``StoreUnavailable`` (a 503) if the
        store cannot take it."""
        call.delivery_id = delivery.delivery_id  # verified: a refusal from here on names it
        routed = bool(endpoint.router.fetch(delivery.topics))
        store = self.store
        status = "unrouted"
        try:
            if routed:
                admission = await store.admit(delivery)
                status = admission.value
            elif self.settings.store_unrouted:
                # No handler wants it now; keep it (as done) so nothing acknowledged is lost.
                admission = await store.record(delivery)
        except StoreUnavailable:
            raise
        except StoreError as exc:  # a store that cannot read its records cannot take one either
            raise StoreUnavailable(str(exc)) from exc
        if routed and admission is Admission.ACCEPTED:
            await self.on_accepted()
        return status

    async def _respond(self, endpoint: Endpoint, delivery: Delivery) -> Reply | None:
        responder = endpoint.responder
        assert responder is not None
        try:
            if inspect.iscoroutinefunction(responder):
                value: Any = await responder(delivery)
            else:
                value = await run_in_threadpool(responder, delivery)
            return Reply.from_value(value)
        except Exception:
            # The delivery is stored already; the sender still gets its ack.
            log.exception(
                "inline handler failed endpoint=%s delivery_id=%s",
                endpoint.path,
                loggable(delivery.delivery_id),
            )
            return None


def _describe(exc: HookReceiverError) -> tuple[str, str, str | None, dict[str, Any]] | None:
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


def _response(reply: Reply) -> Response:
    return Response(
        reply.body, status_code=reply.status, media_type=reply.content_type, headers=dict(reply.headers)
    )


def _json(data: dict[str, Any], *, status: int = 200) -> Response:
    """A compact JSON response; ASCII-escaped, so any str encodes (even one a provider let through
    that is not valid Unicode text): an ack must never fail after the delivery is stored."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return Response(body, status_code=status, media_type="application/json")


def _peek(endpoint: Endpoint, request: HttpRequest) -> str | None:
    """The delivery id the provider can name without trusting the body, for a rejection's log line."""
    try:
        value = endpoint.provider.peek_delivery_id(request)
    except Exception:  # best effort: a log detail must never turn a 4xx into a 500
        log.debug("peek_delivery_id failed endpoint=%s", endpoint.path, exc_info=True)
        return None
    return value if isinstance(value, str) and value else None


def _safely(call: Any, *args: Any) -> None:
    """Run an observer; its failure is logged, never the sender's problem."""
    try:
        call(*args)
    except Exception:
        log.exception("observer failed: %r", call)
