"""Paddle Billing: ``Paddle-Signature: ts=<unix>;h1=<hex>`` over ``"{ts}:{raw body}"``.

The notification destination's ``pdl_ntfset_...`` secret is the HMAC-SHA256 key as written. The
header may carry several ``h1`` values while a secret is rotated; any one may match any of ours.
Paddle's SDK allows 5 s of clock drift either way, and so do we by default (``tolerance=``).
The topic is the body's ``event_type``; the delivery id its ``notification_id`` (one per
destination, kept on retries), falling back to ``event_id``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import (
    check_timestamp,
    hmac_digest,
    parse_timestamp,
    verify_digest,
)
from hookreceiver.exceptions import PayloadError, SignatureError
from hookreceiver.providers.base import Identity
from hookreceiver.providers.shared_secret import TimedSecretProvider

__all__ = ["Paddle"]

HEADER = "paddle-signature"


def parse_signature_header(value: str | None) -> tuple[str, list[bytes]]:
    """Split ``ts=...;h1=...[;h1=...]`` into the timestamp text and the decoded ``h1`` digests."""
    if not value:
        raise SignatureError("missing Paddle-Signature", reason="missing_signature")
    stamp = ""
    digests: list[bytes] = []
    for part in value.split(";"):
        key, sep, text = part.strip().partition("=")
        if not sep:
            continue
        if key == "ts":
            stamp = text.strip()
        elif key == "h1":
            try:
                digests.append(bytes.fromhex(text.strip()))
            except ValueError:
                continue  # cannot match; another h1 may
    if not stamp:
        raise SignatureError("Paddle-Signature has no ts=", reason="missing_timestamp")
    if not digests:
        raise SignatureError("Paddle-Signature has no h1= signature", reason="missing_signature")
    return stamp, digests


class Paddle(TimedSecretProvider):
    """Paddle Billing notifications (not Paddle Classic's form-posted ``p_signature``)."""

    name: ClassVar[str] = "paddle"
    formats: frozenset[Format] = frozenset({"json"})
    tolerance: float = 5.0

    def verify(self, request: HttpRequest, *, now: float) -> int:
        stamp, digests = parse_signature_header(request.header(HEADER))
        sent = parse_timestamp(stamp, header="Paddle-Signature ts")
        index = verify_digest(stamp.encode() + b":" + request.body, digests, secrets=self._secrets)
        check_timestamp(sent, now=now, tolerance=self.tolerance)
        return index

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        topic = payload.get("event_type") if isinstance(payload, dict) else None
        if not isinstance(topic, str) or not topic:
            raise PayloadError("the notification has no 'event_type'", reason="missing_topic")
        ids = [payload.get(k) for k in ("notification_id", "event_id")]
        delivery_id = next((i for i in ids if isinstance(i, str) and i), None)
        meta = {k: payload[k] for k in ("event_id", "occurred_at") if isinstance(payload.get(k), str)}
        stamp, _ = parse_signature_header(request.header(HEADER))
        return Identity(
            topic=topic, delivery_id=delivery_id, sent_at=float(stamp) if stamp.isdigit() else None, meta=meta
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
        """The notification Paddle would post: ``event_type`` = topic, ``notification_id`` = id."""
        event: dict[str, Any] = dict(payload) if isinstance(payload, dict) else {"data": payload}
        event["event_type"] = topic
        seed = hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()
        event.setdefault("event_id", "evt_" + seed[:26])
        if delivery_id:
            event["notification_id"] = delivery_id
        elif not isinstance(event.get("notification_id"), str):
            event["notification_id"] = "ntf_" + seed[26:52]
        body = json.dumps(event, separators=(",", ":")).encode()
        stamp = str(int(timestamp))
        digest = hmac_digest("sha256", self._secrets.values[secret_index], stamp.encode() + b":" + body)
        headers = {"content-type": "application/json", HEADER: f"ts={stamp};h1={digest.hex()}"}
        return HttpRequest.outgoing("POST", url, headers, body)
