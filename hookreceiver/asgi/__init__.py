"""The ASGI side: the only module that imports starlette.

One delivery is a straight line: find the endpoint, check the method, read the body once under a
cap, let the provider verify/decode/identify it (pure core), admit it to the store, answer. Every
rejection is a small JSON body ``{"error": reason, "detail": ...}`` and one log line. Reading the
request before it is verified is :mod:`hookreceiver.intake`; writing answers and log lines is
:mod:`hookreceiver.asgi.answers`.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from hookreceiver.asgi.answers import (
    Answer,
    Refusal,
    admitted,
    describe,
    json_answer,
    peek,
    refused,
    reply_answer,
)
from hookreceiver.core.delivery import Delivery, HttpRequest, Reply
from hookreceiver.endpoint import Endpoint, public_url
from hookreceiver.exceptions import (
    HookReceiverError,
    MethodNotAllowed,
    ReceiverBusy,
    StoreError,
    StoreUnavailable,
    UnknownEndpoint,
)
from hookreceiver.health import liveness, readiness
from hookreceiver.intake import BufferBudget, origin, read_body, read_headers, route_path
from hookreceiver.logtext import loggable
from hookreceiver.observe import Observer
from hookreceiver.providers.base import receive_all as receive_deliveries
from hookreceiver.settings import Settings
from hookreceiver.stores.base import Admission, Store
from hookreceiver.tally import RejectionTally

__all__ = ["OFFLOAD_BODY_SIZE", "ReceiverApp", "read_body", "route_path", "warm_up"]

log = logging.getLogger("hookreceiver")

# Verifying and decoding is pure CPU work; past this many body bytes it runs in a worker thread,
# so one big request (a flood of XML elements, say) cannot hold up every other request.
OFFLOAD_BODY_SIZE = 64 * 1024


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
    path: str  # below the mount point, normalised (route_path)
    endpoint: Endpoint | None
    headers: dict[str, str] | None = None  # read once they are accepted
    url: str = ""
    query: str = ""
    request: HttpRequest | None = None  # built once the body is read
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
                response = json_answer(
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
        found = ""
        if not (endpoint.public_url or base):
            found = origin(scope, headers, trust_forwarded=self.settings.trust_forwarded)
        return public_url(endpoint, base_url=base, origin=found, path=path, query=query)

    async def _health_check(self, kind: str, method: str) -> Answer:
        if method not in ("GET", "HEAD"):
            answer = json_answer({"error": "method_not_allowed", "detail": "use GET"}, status=405)
            answer.headers["allow"] = "GET, HEAD"
            return answer
        status, body = liveness() if kind == "live" else await readiness(self.store)
        return json_answer(body, status=status)

    async def _handle(self, scope: Scope, receive: Receive) -> Answer:
        started = time.perf_counter()
        path = route_path(scope)
        endpoint = self.endpoints.get(path)
        if endpoint is None and path in self._health:
            return await self._health_check(self._health[path], scope["method"])
        call = _Call(scope, started, path, endpoint)
        try:
            return await self._serve(call, receive, path)
        except HookReceiverError as exc:  # every refusal, answered through its status_hint
            return self._refused(call, exc)

    async def _serve(self, call: _Call, receive: Receive, path: str) -> Answer:
        """Endpoint, method, headers, body, provider, store: each step answers or raises."""
        scope, endpoint, method = call.scope, call.endpoint, call.scope["method"]
        if endpoint is None:
            raise UnknownEndpoint(f"no endpoint at {path}")
        settings = self.settings
        call.close = True  # the body is left unread: close after the answer
        headers = read_headers(
            scope, max_count=settings.max_header_count, max_bytes=settings.max_header_bytes
        )
        call.close = False
        query = scope.get("query_string", b"").decode("latin-1")
        call.headers, call.url, call.query = headers, self._public_url(scope, endpoint, headers, query), query
        if method not in endpoint.provider.methods:
            allow = ", ".join(sorted(endpoint.provider.methods))
            raise MethodNotAllowed(f"{method} is not accepted here; use {allow}")
        hold = self.budget.hold()
        call.close = True  # until the whole body is read
        try:
            body = await read_body(
                receive, headers, endpoint.max_body_size, timeout=settings.body_timeout, hold=hold
            )
            request = HttpRequest(method, call.url, path, headers, query, body)
            call.request, call.close, now = request, False, self.clock()
            if len(body) > OFFLOAD_BODY_SIZE:
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
            return reply_answer(outcome)
        if len(outcome) == 1:
            return await self._admit(call, endpoint, outcome[0])
        return await self._admit_batch(call, endpoint, outcome)

    def _refused(self, call: _Call, exc: HookReceiverError) -> Answer:
        """The one answer to every refusal: ``exc.status_hint``, its reason and detail as JSON,
        one log line. Errors that are our own bugs (no request-level meaning) are re-raised."""
        described = describe(exc)
        if described is None:
            raise exc
        reason, detail, log_detail, extra = described
        endpoint, scope = call.endpoint, call.scope
        delivery_id = call.delivery_id
        if delivery_id is None and endpoint is not None and call.headers is not None:
            request = call.request or HttpRequest(
                scope["method"], call.url, endpoint.path, call.headers, call.query
            )
            delivery_id = peek(endpoint, request)
        answer = refused(
            Refusal(exc.status_hint, reason, detail, log_detail, extra),
            full_path=scope.get("root_path", "") + call.path,
            endpoint=endpoint,
            started=call.started,
            delivery_id=delivery_id,
            verified=endpoint is None or call.delivery_id is not None,  # a 404 has no id to doubt
            observers=self.observers,
            tally=self.tally,
        )
        if isinstance(exc, MethodNotAllowed) and endpoint is not None:
            answer.headers["allow"] = ", ".join(sorted(endpoint.provider.methods))
        if isinstance(exc, ReceiverBusy):
            answer.headers["retry-after"] = "5"
        if call.close:
            answer.headers["connection"] = "close"
        return answer

    async def _admit(self, call: _Call, endpoint: Endpoint, delivery: Delivery) -> Answer:
        status = await self._store(call, endpoint, delivery)
        reply = await self._respond(endpoint, delivery) if endpoint.responder is not None else None
        reply = endpoint.provider.ack(delivery, reply)  # the provider's own ack shape, if any
        answer = (
            reply_answer(reply)
            if reply is not None
            else json_answer({"status": status, "delivery_id": delivery.delivery_id, "topic": delivery.topic})
        )
        self._admitted(call, endpoint, delivery, status, answer.status_code)
        return answer

    async def _admit_batch(self, call: _Call, endpoint: Endpoint, deliveries: tuple[Delivery, ...]) -> Answer:
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
        answer = (
            reply_answer(reply)
            if reply is not None
            else json_answer({"status": "batch", "deliveries": statuses})
        )
        for delivery, entry in zip(deliveries, statuses, strict=True):
            self._admitted(call, endpoint, delivery, entry["status"], answer.status_code)
        return answer

    def _admitted(
        self, call: _Call, endpoint: Endpoint, delivery: Delivery, status: str, http_status: int
    ) -> None:
        admitted(
            delivery,
            status,
            http_status,
            mount=call.scope.get("root_path", ""),
            path=endpoint.path,
            started=call.started,
            observers=self.observers,
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
