"""uvicorn's HTTP protocols with a header deadline and a header size cap, for ``hookreceiver serve``.

uvicorn closes a keep-alive connection that stays idle after a response, but nothing bounds how
long a client may take to send a request's line and headers: a connection that sends nothing, or
one header byte now and then, is held for ever, and a thousand of them use up the process's file
descriptors (the issue's 1,100 idle connections against ``ulimit -n 1024``). These subclasses
close a connection whose request headers are not complete ``header_timeout`` seconds after it
was opened or after its previous response. The body has its own deadline in the app
(``body_timeout``).

uvicorn's h11 parser caps the header block at ``h11_max_incomplete_event_size``; httptools has no
cap, so :mod:`hookreceiver.server.httptools_protocol` (a module of its own: httptools is optional)
counts the request line and headers against the same value and refuses a larger block (400,
connection closed).

``hookreceiver serve`` selects one by import string (``--http``), so every ``--workers`` process
loads it; the deadline comes from ``HOOKRECEIVER_HEADER_TIMEOUT``, which ``serve`` sets from
``--header-timeout``. This package's ``__init__`` imports nothing of uvicorn.
"""

from __future__ import annotations

import asyncio
import functools
import os

from hookreceiver import defaults

__all__ = ["HEADER_TIMEOUT_ENV", "Deadline", "header_timeout"]

HEADER_TIMEOUT_ENV = "HOOKRECEIVER_HEADER_TIMEOUT"


@functools.cache
def header_timeout() -> float:
    """Seconds a connection may take to send a request's headers (read once per process)."""
    try:
        value = float(os.environ.get(HEADER_TIMEOUT_ENV, defaults.HEADER_TIMEOUT))
    except ValueError:
        return defaults.HEADER_TIMEOUT
    return value if value > 0 else defaults.HEADER_TIMEOUT


class Deadline:
    """A timer that closes ``transport`` unless cancelled first."""

    def __init__(self, loop: asyncio.AbstractEventLoop, transport: asyncio.Transport) -> None:
        self.handle = loop.call_later(header_timeout(), self._expired)
        self.transport = transport

    def _expired(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()

    def cancel(self) -> None:
        self.handle.cancel()
