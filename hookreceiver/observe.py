"""The observer interface: how metrics and tracing (or your own code) watch the receive path.

A receiver calls each object in ``hooks.observers`` once per answered request; the worker's side
is its ``listeners`` (one call per finished job, with an ``Outcome``). With no observer the
receive path does no extra work. Observers run on the event loop, inside the request: keep them
cheap and never let them raise (an exception is logged and swallowed).
"""

from __future__ import annotations

from typing import Protocol

from hookreceiver.core.delivery import Delivery

__all__ = ["Observer"]


class Observer(Protocol):
    """Receives one call per request a receiver answered."""

    def admitted(self, delivery: Delivery, status: str, seconds: float) -> None:
        """A verified delivery answered 2xx; ``status`` is accepted, duplicate or unrouted;
        ``seconds`` from the start of the request to the answer."""

    def rejected(self, endpoint: str, reason: str) -> None:
        """A request refused with ``reason`` (``endpoint`` is ``-`` for an unknown path)."""
