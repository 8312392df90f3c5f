"""Square: ``x-square-hmacsha256-signature`` = base64 HMAC-SHA256 over notification URL + body.

The key is the subscription's signature key (UTF-8). The URL is the one the subscription names,
byte for byte (a trailing ``/`` included): pass it as ``notification_url=`` when the public URL
the receiver computes might differ (a proxy, another host name). The legacy HMAC-SHA1
``x-square-signature`` is accepted only with ``legacy_sha1=True`` and no SHA-256 header. Square
signs no timestamp: dedupe on ``event_id`` is the replay defence. The topic is the body's
``type`` (``payment.updated``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import Secrets, encode_digest, hmac_digest, verify_hmac
from hookreceiver.exceptions import PayloadError, SignatureError
from hookreceiver.providers.base import BaseProvider, Identity

__all__ = ["Square"]

SIGNATURE = "x-square-hmacsha256-signature"
LEGACY_SIGNATURE = "x-square-signature"


class Square(BaseProvider):
    """Square webhook subscriptions."""

    name: ClassVar[str] = "square"
    formats: frozenset[Format] = frozenset({"json"})

    def __init__(
        self,
        *,
        secret: str | bytes | Iterable[str | bytes],
        notification_url: str | None = None,
        legacy_sha1: bool = False,
    ) -> None:
        self._secrets = Secrets(secret)
        self.notification_url = notification_url
        self.legacy_sha1 = legacy_sha1

    def __repr__(self) -> str:
        return (
            f"Square(secrets={len(self._secrets)}, notification_url={self.notification_url!r}, "
            f"legacy_sha1={self.legacy_sha1})"
        )

    def verify(self, request: HttpRequest, *, now: float) -> int:
        message = (self.notification_url or request.url).encode() + request.body
        signature = request.header(SIGNATURE)
        if signature is not None or not self.legacy_sha1:
            return verify_hmac(
                message,
                signature,
                secrets=self._secrets,
                algorithm="sha256",
                encoding="base64",
                header=SIGNATURE,
            )
        if request.header(LEGACY_SIGNATURE) is None:
            raise SignatureError(
                f"missing {SIGNATURE} (or legacy {LEGACY_SIGNATURE})", reason="missing_signature"
            )
        return verify_hmac(
            message,
            request.header(LEGACY_SIGNATURE),
            secrets=self._secrets,
            algorithm="sha1",
            encoding="base64",
            header=LEGACY_SIGNATURE,
        )

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        topic = payload.get("type") if isinstance(payload, dict) else None
        if not isinstance(topic, str) or not topic:
            raise PayloadError("the event has no 'type'", reason="missing_topic")
        event_id = payload.get("event_id")
        meta = {k: payload[k] for k in ("merchant_id", "created_at") if isinstance(payload.get(k), str)}
        environment = request.header("square-environment")
        if environment:
            meta["environment"] = environment
        return Identity(
            topic=topic, delivery_id=event_id if isinstance(event_id, str) and event_id else None, meta=meta
        )

    def sign(
        self,
        payload: Any,
        *,
        topic: str,
        delivery_id: str | None = None,
        timestamp: float,
        url: str,
        secret_index: int = 0,
    ) -> HttpRequest:
        """The event Square would post to ``url`` (or ``notification_url``): ``type`` = topic."""
        event: dict[str, Any] = dict(payload) if isinstance(payload, dict) else {"data": payload}
        event["type"] = topic
        if delivery_id:
            event["event_id"] = delivery_id
        elif not isinstance(event.get("event_id"), str):
            seed = hashlib.sha256(json.dumps(event, sort_keys=True).encode()).digest()
            event["event_id"] = str(uuid.UUID(bytes=seed[:16], version=4))
        body = json.dumps(event, separators=(",", ":")).encode()
        key = self._secrets.values[secret_index]
        message = (self.notification_url or url).encode() + body
        headers = {
            "content-type": "application/json",
            "square-environment": "Sandbox",
            SIGNATURE: encode_digest(hmac_digest("sha256", key, message), "base64"),
        }
        if self.legacy_sha1:
            headers[LEGACY_SIGNATURE] = encode_digest(hmac_digest("sha1", key, message), "base64")
        return HttpRequest.outgoing("POST", url, headers, body)
