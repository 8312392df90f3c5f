"""Stripe: ``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`` over ``"{t}.{raw body}"``.

The ``whsec_...`` endpoint secret is the HMAC key exactly as written (UTF-8, not base64-decoded).
While Stripe rolls a secret it sends one ``v1`` per secret; any of them may match any of ours.
Test-mode ``v0`` entries are ignored. The topic is the event's ``type``, the id its ``id``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import (
    Secrets,
    check_timestamp,
    hmac_digest,
    parse_timestamp,
    verify_digest,
)
from hookreceiver.exceptions import PayloadError, SignatureError
from hookreceiver.providers.base import BaseProvider, Identity

__all__ = ["Stripe"]

HEADER = "stripe-signature"
_META_FIELDS = ("livemode", "account", "api_version", "object", "created")


def parse_signature_header(value: str | None) -> tuple[str, list[bytes]]:
    """Split a ``Stripe-Signature`` value into its timestamp text and decoded ``v1`` signatures.

    Items that are not ``key=value`` and ``v1`` values that are not hex are skipped, as Stripe's
    SDK does: they simply cannot match.
    """
    if not value:
        raise SignatureError(f"missing {HEADER}", reason="missing_signature")
    timestamp = ""
    signatures: list[bytes] = []
    for item in value.split(","):
        key, sep, text = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            timestamp = text
        elif key == "v1":
            try:
                signatures.append(bytes.fromhex(text))
            except ValueError:
                continue
    if not timestamp:
        raise SignatureError(f"{HEADER} has no t= timestamp", reason="missing_timestamp")
    if not signatures:
        raise SignatureError(f"{HEADER} has no v1 signature", reason="missing_signature")
    return timestamp, signatures


class Stripe(BaseProvider):
    """Stripe webhook endpoints (events API v1 snapshots and v2 thin events alike).

    ``tolerance`` is how old (seconds) the signed ``t`` may be; ``future_tolerance`` how far ahead
    of our clock it may be (default: the same; Stripe's SDK accepts any future time, which
    ``float("inf")`` reproduces). A tolerance of 0 turns the time check off.
    """

    name: ClassVar[str] = "stripe"
    formats: frozenset[Format] = frozenset({"json"})

    def __init__(
        self,
        *,
        secret: str | bytes | Iterable[str | bytes],
        tolerance: float = 300.0,
        future_tolerance: float | None = None,
    ) -> None:
        self._secrets = Secrets(secret)
        self.tolerance = tolerance
        self.future_tolerance = tolerance if future_tolerance is None else future_tolerance

    def __repr__(self) -> str:
        return (
            f"Stripe(secrets={len(self._secrets)}, tolerance={self.tolerance:g}, "
            f"future_tolerance={self.future_tolerance:g})"
        )

    def verify(self, request: HttpRequest, *, now: float) -> int:
        text, signatures = parse_signature_header(request.header(HEADER))
        sent = parse_timestamp(text, header=f"{HEADER} t")
        index = verify_digest(text.encode() + b"." + request.body, signatures, secrets=self._secrets)
        # The signature is checked first, so a forged request never learns about the window.
        check_timestamp(sent, now=now, tolerance=self.tolerance, future_tolerance=self.future_tolerance)
        return index

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        if not isinstance(payload, dict):
            raise PayloadError("a Stripe event is a JSON object", reason="missing_topic")
        topic = payload.get("type")
        if not isinstance(topic, str) or not topic:
            raise PayloadError("the event has no 'type'", reason="missing_topic")
        event_id = payload.get("id")
        meta = {
            name: json.dumps(payload[name]) if isinstance(payload[name], bool) else str(payload[name])
            for name in _META_FIELDS
            if payload.get(name) is not None
        }
        text, _ = parse_signature_header(request.header(HEADER))
        sent_at = float(text) if text.isdigit() else None
        return Identity(
            topic=topic,
            delivery_id=event_id if isinstance(event_id, str) else None,
            sent_at=sent_at,
            meta=meta,
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
        """Build the event Stripe would post: ``type`` = topic, ``id`` = delivery id (or derived)."""
        stamp = str(int(timestamp))
        event: dict[str, Any] = {"object": "event", "livemode": False, "created": int(timestamp)}
        event.update(payload if isinstance(payload, dict) else {"data": {"object": payload}})
        event["type"] = topic
        if delivery_id:
            event["id"] = delivery_id
        elif not isinstance(event.get("id"), str) or not event["id"]:
            seed = json.dumps(event, sort_keys=True).encode()
            event["id"] = "evt_" + hashlib.sha256(seed).hexdigest()[:24]
        body = json.dumps(event, separators=(",", ":")).encode()
        digest = hmac_digest("sha256", self._secrets.values[secret_index], stamp.encode() + b"." + body)
        headers = {
            "content-type": "application/json; charset=utf-8",
            "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            HEADER: f"t={stamp},v1={digest.hex()}",
        }
        return HttpRequest.outgoing("POST", url, headers, body)
