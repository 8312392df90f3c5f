"""A nonce cache: refuse a signed request whose nonce was already used for other content.

Some schemes sign a timestamp and a nonce but not the body (WeChat's plain mode): whoever holds
one signed URL can send any body under it until the timestamp window closes. The cache remembers,
for each ``(key, nonce)`` seen within its window, a digest of the content that came with it; the
same nonce again with the same content is a retransmission (dedupe handles it, and refusing it
could lose a retry of a delivery that was not stored), the same nonce with other content is a
replay and raises ``SignatureError`` (``replayed_nonce``).

Pure: ``now`` is a parameter, as for every timestamp check. Bounded: at most ``max_entries``
nonces, the oldest forgotten first. One process: several processes each keep their own cache.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from hookreceiver.exceptions import ConfigurationError, SignatureError

__all__ = ["NonceCache"]


class NonceCache:
    """Nonces seen in the last ``window`` seconds, each with a digest of its content."""

    def __init__(self, *, window: float = 300.0, max_entries: int = 100_000) -> None:
        if window <= 0 or max_entries <= 0:
            raise ConfigurationError("a nonce cache needs a positive window and size")
        self.window = window
        self.max_entries = max_entries
        self._seen: OrderedDict[tuple[str, str], tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()  # verify may run in a worker thread for large bodies

    def __repr__(self) -> str:
        return f"NonceCache(window={self.window!r}, entries={len(self._seen)})"

    def __len__(self) -> int:
        return len(self._seen)

    def check(self, key: str, nonce: str, content: bytes, *, now: float) -> None:
        """Record ``nonce`` for ``content``; raise if it was used for other content in the window.

        Call it only after the signature over ``key`` and ``nonce`` matched, so that unsigned
        guesses cannot fill the cache.
        """
        digest = hashlib.sha256(content).digest()
        with self._lock:
            self._expire(now)
            entry = self._seen.get((key, nonce))
            if entry is not None:
                if entry[1] != digest:
                    raise SignatureError(
                        "this signed nonce was already used for another body (a replayed URL)",
                        reason="replayed_nonce",
                    )
                return
            self._seen[(key, nonce)] = (now + self.window, digest)
            while len(self._seen) > self.max_entries:
                self._seen.popitem(last=False)

    def _expire(self, now: float) -> None:
        # Entries go in by arrival, so their expiry times rise: stop at the first live one.
        while self._seen:
            expires, _ = next(iter(self._seen.values()))
            if expires > now:
                return
            self._seen.popitem(last=False)
