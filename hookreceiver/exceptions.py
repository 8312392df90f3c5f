"""Every error hookreceiver raises, in one tree.

::

    HookReceiverError
    ├── ConfigurationError          our fault: raised while the app is built, never per request
    ├── ModelValidationError        a typed handler's payload does not fit its model (a handler failure)
    ├── DeliveryError               the sender's fault: answered with a 4xx and a reason code
    │   ├── SignatureError          401  missing_signature, bad_signature, bad_token, ...
    │   │   └── StaleTimestamp      401  stale_timestamp (carries the skew in seconds)
    │   ├── PayloadError            400  undecodable_payload, missing_topic, ...
    │   ├── UnsupportedContentType  415  unsupported_content_type
    │   ├── PayloadTooLarge         413  payload_too_large
    │   ├── BodyTimeout             408  body_timeout (the body did not arrive in time)
    │   ├── HeadersTooLarge         431  headers_too_large
    │   ├── MethodNotAllowed        405  method_not_allowed
    │   └── UnknownEndpoint         404  unknown_endpoint
    ├── ReceiverBusy                503  busy: too many request bodies in flight; the sender should retry
    └── StoreError                  a store problem
        └── StoreUnavailable        503  the store cannot take the delivery; the sender should retry

Each class carries ``status_hint``: the HTTP status the ASGI layer answers with. A delivery error
also carries ``reason``, a short machine-readable code that goes into the JSON body and the log.
Messages never contain secrets: they name headers and secret indexes, not values.
"""

from __future__ import annotations

__all__ = [
    "BodyTimeout",
    "ConfigurationError",
    "DeliveryError",
    "HeadersTooLarge",
    "HookReceiverError",
    "MethodNotAllowed",
    "ModelValidationError",
    "PayloadError",
    "PayloadTooLarge",
    "ReceiverBusy",
    "SignatureError",
    "StaleTimestamp",
    "StoreError",
    "StoreUnavailable",
    "UnknownEndpoint",
    "UnsupportedContentType",
]


class HookReceiverError(Exception):
    """Base of every hookreceiver error."""

    status_hint: int = 500


class ConfigurationError(HookReceiverError):
    """The receiver was configured wrongly; raised at startup, before any request."""


class DeliveryError(HookReceiverError):
    """A delivery was rejected because of what the sender sent."""

    status_hint = 400
    default_reason = "bad_request"

    def __init__(self, detail: str, *, reason: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.reason = reason or self.default_reason

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!r}, detail={self.detail!r})"


class SignatureError(DeliveryError):
    """The delivery's authenticity could not be established."""

    status_hint = 401
    default_reason = "bad_signature"


class StaleTimestamp(SignatureError):
    """The signed timestamp lies outside the tolerance window."""

    default_reason = "stale_timestamp"

    def __init__(self, detail: str, *, skew: float) -> None:
        super().__init__(detail)
        self.skew = skew


class PayloadError(DeliveryError):
    """The body could not be decoded, or lacks what the provider needs (such as a topic)."""

    status_hint = 400
    default_reason = "undecodable_payload"


class UnsupportedContentType(DeliveryError):
    """The endpoint does not accept this content type."""

    status_hint = 415
    default_reason = "unsupported_content_type"


class PayloadTooLarge(DeliveryError):
    """The body is larger than the endpoint's cap."""

    status_hint = 413
    default_reason = "payload_too_large"


class BodyTimeout(DeliveryError):
    """The body did not arrive within ``body_timeout`` (a slow or stalled client)."""

    status_hint = 408
    default_reason = "body_timeout"


class HeadersTooLarge(DeliveryError):
    """The request has more header lines, or more header bytes, than the receiver takes."""

    status_hint = 431
    default_reason = "headers_too_large"


class MethodNotAllowed(DeliveryError):
    """The endpoint does not accept this HTTP method."""

    status_hint = 405
    default_reason = "method_not_allowed"


class UnknownEndpoint(DeliveryError):
    """No endpoint is mounted at this path."""

    status_hint = 404
    default_reason = "unknown_endpoint"


class ModelValidationError(HookReceiverError):
    """A typed handler's payload failed its model: where and why, never the offending values.

    Raised in the worker, it fails the job like any handler error (retried, then dead-lettered);
    its text goes into logs and dead letters, so it names field locations and error types only.
    """


class ReceiverBusy(HookReceiverError):
    """The bodies being read and verified already fill ``max_buffered_bytes``: not the sender's
    fault, and not lost either, since the sender retries the 503."""

    status_hint = 503


class StoreError(HookReceiverError):
    """A store operation failed."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or cannot write; the sender gets a 503 and retries."""

    status_hint = 503
