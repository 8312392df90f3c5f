"""Reading a request before it is verified: its path and headers (bounded), then its body under
a size cap, a deadline and a shared budget.

Everything here happens before anyone knows whether the sender holds the secret, so it is what an
attacker on the internet can make the receiver do for free. Three limits bound it:

* ``limit`` (the endpoint's ``max_body_size``): one body; a larger ``Content-Length`` is refused
  (413) before a byte is read, a body without one as soon as it passes the cap;
* ``timeout`` (``body_timeout``): the whole body must arrive within it (408), so a client that
  declares more than it sends, or trickles a byte at a time, holds nothing for long;
* a :class:`BufferBudget` (``max_buffered_bytes``): the bytes held by all requests of the process
  that are being read or verified; a request that would pass it is answered 503 at once (its
  ``Content-Length`` is reserved up front, a chunked body grows its share as it streams in).

A request with both ``Content-Length`` and ``Transfer-Encoding`` is refused (400
``ambiguous_length``): a proxy in front may frame it by one header and the server by the other,
which is how requests are smuggled past the proxy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

import anyio

from hookreceiver.body_deadline import deadlines
from hookreceiver.core.delivery import endpoint_path
from hookreceiver.exceptions import BodyTimeout, DeliveryError, HeadersTooLarge, PayloadTooLarge, ReceiverBusy

__all__ = ["BufferBudget", "Hold", "check_framing", "origin", "read_body", "read_headers", "route_path"]

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]


def route_path(scope: Mapping[str, Any]) -> str:
    """The request path below where the receiver is mounted (``root_path`` removed)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        path = path[len(root) :]
    return endpoint_path(path)


def read_headers(scope: Mapping[str, Any], *, max_count: int, max_bytes: int) -> dict[str, str]:
    """The request's headers, lower-cased names, a repeated one joined with ``", "``; refused
    (431) past ``max_count`` lines or ``max_bytes`` of them.

    Some HTTP servers (uvicorn with httptools) pass any number of headers of any size to the
    app: the lines are counted before any is read, and the bytes before each is decoded.
    """
    raw = scope.get("headers", [])
    if len(raw) > max_count:
        raise HeadersTooLarge(f"{len(raw)} header lines; at most {max_count} are accepted")
    headers: dict[str, str] = {}
    repeated: dict[str, list[str]] = {}  # joined once at the end (joining as we go is quadratic)
    size = 0
    for raw_name, raw_value in raw:
        size += len(raw_name) + len(raw_value)
        if size > max_bytes:
            total = sum(len(name) + len(value) for name, value in raw)
            raise HeadersTooLarge(f"{total} bytes of headers; at most {max_bytes} are accepted")
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        if name in headers:
            repeated.setdefault(name, [headers[name]]).append(value)
        else:
            headers[name] = value
    for name, values in repeated.items():
        headers[name] = ", ".join(values)
    return headers


def origin(scope: Mapping[str, Any], headers: Mapping[str, str], *, trust_forwarded: bool) -> str:
    """``scheme://host`` as the request names it (the forwarded one if trusted)."""
    scheme: str = scope.get("scheme") or "http"
    host = headers.get("host", "")
    if trust_forwarded:
        scheme = headers.get("x-forwarded-proto", scheme or "http").split(",")[0].strip()
        host = headers.get("x-forwarded-host", host).split(",")[0].strip()
    if not host and scope.get("server"):
        server_host, port = scope["server"]
        host = f"{server_host}:{port}"
    return f"{scheme}://{host}"


class BufferBudget:
    """The bytes that unverified requests may hold at once, across one process (one event loop)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0

    def __repr__(self) -> str:
        return f"BufferBudget(limit={self.limit}, held={self.held})"

    def hold(self) -> Hold:
        """A new request's share: nothing yet; grow it as bytes are reserved, release it after."""
        return Hold(self)


class Hold:
    """One request's share of a :class:`BufferBudget`."""

    def __init__(self, budget: BufferBudget) -> None:
        self.budget = budget
        self.size = 0

    def grow_to(self, size: int) -> None:
        """Hold ``size`` bytes in all; ``ReceiverBusy`` (503) if the budget has no room for them."""
        extra = size - self.size
        if extra <= 0:
            return
        budget = self.budget
        if budget.held + extra > budget.limit:
            raise ReceiverBusy("the receiver is reading too many request bodies at once; retry later")
        budget.held += extra
        self.size = size

    def release(self) -> None:
        self.budget.held -= self.size
        self.size = 0


def check_framing(headers: Mapping[str, str]) -> None:
    """Refuse a request framed two ways (``Content-Length`` and ``Transfer-Encoding``)."""
    if "transfer-encoding" in headers and "content-length" in headers:
        raise DeliveryError(
            "a request must not carry both Content-Length and Transfer-Encoding",
            reason="ambiguous_length",
        )


async def read_body(
    receive: Receive,
    headers: Mapping[str, str],
    limit: int,
    *,
    timeout: float | None = None,
    hold: Hold | None = None,
) -> bytes:
    """Read the whole body under ``limit`` bytes (413), within ``timeout`` seconds (408), growing
    ``hold`` as it goes (503 past its budget). ``headers`` are lower-cased."""
    check_framing(headers)
    if timeout is None:
        return await _read(receive, headers, limit, hold)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # trio: anyio's cancel scope
        try:
            with anyio.fail_after(timeout):
                return await _read(receive, headers, limit, hold)
        except TimeoutError:
            raise _late(timeout) from None
    # asyncio: the loop's shared deadlines (hookreceiver.body_deadline), not a timer per request
    task: Any = asyncio.current_task(loop)
    watch = deadlines(loop)
    watch.start(task, timeout)
    try:
        return await _read(receive, headers, limit, hold)
    except asyncio.CancelledError:
        if watch.timed_out(task):
            raise _late(timeout) from None
        raise
    finally:
        watch.finish(task)


def _late(timeout: float) -> BodyTimeout:
    return BodyTimeout(f"the body did not arrive within {timeout:g} s")


async def _read(receive: Receive, headers: Mapping[str, str], limit: int, hold: Hold | None) -> bytes:
    declared = headers.get("content-length", "")
    if declared.isdigit():
        if int(declared) > limit:
            raise PayloadTooLarge(f"body of {declared} bytes is over the {limit}-byte limit")
        if hold is not None:
            hold.grow_to(int(declared))  # reserved before a byte is read
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise DeliveryError("client disconnected before sending the body", reason="client_disconnected")
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body is over the {limit}-byte limit")
        if hold is not None:
            hold.grow_to(size)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
