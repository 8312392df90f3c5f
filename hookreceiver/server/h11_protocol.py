"""uvicorn's h11 protocol with the header deadline and a header size cap (see
:mod:`hookreceiver.server`)."""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol as _H11

from hookreceiver import defaults
from hookreceiver.server import Deadline

__all__ = ["TOO_LARGE", "H11Protocol"]


class H11Protocol(_H11):
    """uvicorn's h11 protocol, with the header deadline and a header size cap.

    h11's ``max_incomplete_event_size`` only bounds a header block that is still incomplete; one
    that arrives whole in one read passes, so the block's size is counted here as well.
    """

    _deadline: Deadline | None = None
    _head_bytes = 0
    _tail = b""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch()

    def data_received(self, data: bytes) -> None:
        if self._deadline is not None and self._head_too_large(data):
            self.transport.write(TOO_LARGE)
            self.transport.close()
            return
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop()
        super().connection_lost(exc)

    def _head_too_large(self, data: bytes) -> bool:
        """Count ``data`` towards the header block being received (it ends at a blank line)."""
        limit = self.config.h11_max_incomplete_event_size or defaults.MAX_HEADER_SIZE
        joined = self._tail + data
        end = joined.find(b"\r\n\r\n")
        if end >= 0:
            size = self._head_bytes + end - len(self._tail)
            self._head_bytes, self._tail = 0, b""
            return size > limit
        self._head_bytes += len(data)
        self._tail = joined[-3:]
        return self._head_bytes > limit

    def _watch(self) -> None:
        waiting = self.cycle is None or self.cycle.response_complete
        if waiting and self._deadline is None and not self.transport.is_closing():
            self._deadline = Deadline(self.loop, self.transport)
            self._head_bytes, self._tail = 0, b""
        elif not waiting:
            self._stop()

    def _stop(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 29\r\nconnection: close\r\n\r\nRequest headers are too large"
)
