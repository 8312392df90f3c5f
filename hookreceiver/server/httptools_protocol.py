"""uvicorn's httptools protocol with the header deadline and a header size cap (see
:mod:`hookreceiver.server`); its own module because httptools is optional."""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _HttpTools

from hookreceiver import defaults
from hookreceiver.server import Deadline

__all__ = ["HttpToolsProtocol"]


class HttpToolsProtocol(_HttpTools):
    """uvicorn's httptools protocol, with the header deadline and the header size cap."""

    _deadline: Deadline | None = None
    _header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        self._header_bytes = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        self._header_bytes += size
        limit = self.config.h11_max_incomplete_event_size or defaults.MAX_HEADER_SIZE
        if self._header_bytes > limit:
            # raised inside a parser callback: uvicorn answers 400 and closes the connection
            raise ValueError("request headers too large")

    def _watch(self) -> None:
        waiting = self.cycle is None or self.cycle.response_complete
        if waiting and self._deadline is None and not self.transport.is_closing():
            self._deadline = Deadline(self.loop, self.transport)
        elif not waiting:
            self._stop()

    def _stop(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
