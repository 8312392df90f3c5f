"""Base classes for providers keyed by a shared secret, most of them signing with one HMAC header.

Each shipped provider of this kind repeated the same constructor, repr and ``verify``; here they
are written once, so a provider file keeps only what is its own (its header, topic, delivery id,
meta and the request its ``sign`` builds):

- ``SharedSecretProvider``: takes ``secret=`` (a list while rotating), keeps it as ``Secrets``
  and shows only how many there are; ``signature``, when a subclass sets it, is the
  ``HmacHeader`` its requests carry.
- ``BodyHmacProvider``: ``signature`` holds the HMAC of the raw body (Bitbucket, Intercom, ...).
- ``TimedSecretProvider``: adds ``tolerance``, the replay window in seconds (0 turns it off).
- ``TimedHmacProvider``: ``signature`` holds the HMAC of a message that includes a signed time
  (Slack, Zoom, HubSpot, ...); the subclass says how to read both from a request (``signed``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import HmacHeader, Secrets, check_timestamp
from hookreceiver.providers.base import BaseProvider

__all__ = ["BodyHmacProvider", "SharedSecretProvider", "TimedHmacProvider", "TimedSecretProvider"]


class SharedSecretProvider(BaseProvider):
    """A provider configured with ``secret=``: a string, bytes or a list of them while rotating."""

    # The header a subclass's requests are signed in; unset for schemes it does not describe.
    signature: ClassVar[HmacHeader]

    def __init__(self, *, secret: str | bytes | Iterable[str | bytes]) -> None:
        self._secrets = Secrets(secret)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(secrets={len(self._secrets)})"

    def check_signature(self, request: HttpRequest, message: bytes) -> int:
        """The index of the secret whose HMAC of ``message`` the ``signature`` header holds."""
        return self.signature.verify(message, request.header(self.signature.header), self._secrets)

    def signature_value(self, message: bytes, secret_index: int) -> str:
        """The ``signature`` header's value for ``message`` under secret number ``secret_index``."""
        return self.signature.value(self._secrets.values[secret_index], message)


class BodyHmacProvider(SharedSecretProvider):
    """A provider whose ``signature`` header holds the HMAC of the raw body, and nothing else
    signed: no replay window, so dedupe on the delivery id is the defence."""

    def verify(self, request: HttpRequest, *, now: float) -> int:
        return self.check_signature(request, request.body)


class TimedSecretProvider(SharedSecretProvider):
    """A shared-secret provider that signs a time: ``tolerance`` is the window in seconds around
    our clock (the class attribute is the provider's default; 0 or less turns the check off)."""

    tolerance: float = 300.0

    def __init__(
        self, *, secret: str | bytes | Iterable[str | bytes], tolerance: float | None = None
    ) -> None:
        super().__init__(secret=secret)
        if tolerance is not None:
            self.tolerance = tolerance

    def __repr__(self) -> str:
        return f"{type(self).__name__}(secrets={len(self._secrets)}, tolerance={self.tolerance:g})"


class TimedHmacProvider(TimedSecretProvider):
    """A provider whose ``signature`` header holds the HMAC of a message that includes a signed
    time. ``verify`` reads both (``signed``), checks the signature, then the window, so a forged
    request never learns about the window."""

    def signed(self, request: HttpRequest) -> tuple[float, bytes]:
        """The signed time (Unix seconds) and the signed message; raise ``SignatureError`` if the
        time is missing or malformed."""
        raise NotImplementedError

    def verify(self, request: HttpRequest, *, now: float) -> int:
        index, sent = self.match(request)
        check_timestamp(sent, now=now, tolerance=self.tolerance)
        return index

    def match(self, request: HttpRequest) -> tuple[int, float]:
        """The index of the secret that signed ``request`` and the time it signed, with no
        window check (for a handshake that needs the matching secret)."""
        sent, message = self.signed(request)
        return self.check_signature(request, message), sent
