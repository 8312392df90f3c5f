"""A clock that stands still until a test moves it."""

from __future__ import annotations

__all__ = ["FROZEN_AT", "FrozenClock"]

FROZEN_AT = 1_700_000_000.0  # 2023-11-14T22:13:20Z, the instant the sample payloads use


class FrozenClock:
    """Call it for the time; pass it as ``clock=`` to a ``HookReceiver`` or ``MemoryStore``.

    Signatures made at ``clock()`` stay inside every provider's replay window for as long as
    the clock does not move, however slow the test; ``advance`` moves it on purpose.
    """

    def __init__(self, at: float = FROZEN_AT) -> None:
        self.now = float(at)

    def __call__(self) -> float:
        return self.now

    def __repr__(self) -> str:
        return f"FrozenClock(at={self.now!r})"

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or back, with a negative number)."""
        self.now += seconds

    def set(self, at: float) -> None:
        self.now = float(at)
