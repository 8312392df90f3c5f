"""Shopify: ``X-Shopify-Hmac-Sha256``, the base64 HMAC-SHA256 of the raw body.

Classic deliveries use ``X-Shopify-*`` headers; the newer "Events" deliveries use lower-case
``shopify-*`` names without the ``X-``. Both are signed the same way; which one a request is
follows from its HMAC header. The topic is the topic header (``orders/create``); the dedupe id is
the event id (Shopify's documented dedupe key), falling back to the webhook id. Nothing but the
body is signed, so there is no replay window: the store's dedupe is the defence.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import HmacHeader
from hookreceiver.exceptions import PayloadError
from hookreceiver.providers.base import Identity
from hookreceiver.providers.shared_secret import SharedSecretProvider

__all__ = ["Shopify", "parse_triggered_at"]

# The HMAC header of classic deliveries (which sign() sends) and of Events deliveries.
CLASSIC = HmacHeader("x-shopify-hmac-sha256", encoding="base64")
EVENTS = HmacHeader("shopify-hmac-sha256", encoding="base64")
_META = {
    "shop_domain": "shop-domain",
    "api_version": "api-version",
    "triggered_at": "triggered-at",
    "webhook_id": "webhook-id",
    "event_id": "event-id",
    "sub_topic": "sub-topic",
    "name": "name",
    "handle": "handle",
    "action": "action",
    "resource_id": "resource-id",
}


def parse_triggered_at(text: str | None) -> float | None:
    """``2023-11-14T22:13:20.000000000Z`` as Unix seconds; ``None`` if absent or unreadable."""
    if not text:
        return None
    head, dot, rest = text.strip().partition(".")
    if dot:  # keep at most microseconds: older Pythons refuse nanoseconds
        digits = "".join(c for c in rest if c.isdigit())
        head = f"{head}.{digits[:6]}{rest[len(digits) :]}"
    try:
        parsed = datetime.fromisoformat(head.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.timestamp() if parsed.tzinfo is not None else None


class Shopify(SharedSecretProvider):
    """Shopify app webhooks, classic (``X-Shopify-*``) and Events (``shopify-*``) headers.

    ``secret`` is the app's client secret (or, for webhooks created in a store's admin, the
    store's notification key).
    """

    name: ClassVar[str] = "shopify"
    formats: frozenset[Format] = frozenset({"json", "xml"})
    signature: ClassVar[HmacHeader] = CLASSIC

    @staticmethod
    def _prefix(request: HttpRequest) -> str:
        """``x-shopify-`` for classic deliveries, ``shopify-`` for Events deliveries."""
        if (
            request.header("x-shopify-hmac-sha256") is None
            and request.header("shopify-hmac-sha256") is not None
        ):
            return "shopify-"
        return "x-shopify-"

    def verify(self, request: HttpRequest, *, now: float) -> int:
        scheme = EVENTS if self._prefix(request) == "shopify-" else CLASSIC
        return scheme.verify(request.body, request.header(scheme.header), self._secrets)

    def peek_delivery_id(self, request: HttpRequest) -> str | None:
        """The event id, else the webhook id, as sent, unverified (for rejection log lines)."""
        prefix = self._prefix(request)
        return request.header(prefix + "event-id") or request.header(prefix + "webhook-id") or None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        prefix = self._prefix(request)
        topic = (request.header(prefix + "topic") or "").strip()
        if not topic:
            raise PayloadError(f"missing {prefix}topic header", reason="missing_topic")
        meta = {key: value for key, suffix in _META.items() if (value := request.header(prefix + suffix))}
        delivery_id = meta.get("event_id") or meta.get("webhook_id")
        return Identity(
            topic=topic,
            delivery_id=delivery_id,
            sent_at=parse_triggered_at(meta.get("triggered_at")),
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
        """Build a classic JSON delivery; ``delivery_id`` becomes the event id."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        seed = hashlib.sha256(f"{topic}:{timestamp}:".encode() + body).digest()
        webhook_id = str(uuid.UUID(bytes=seed[:16], version=4))
        stamp = datetime.fromtimestamp(int(timestamp), tz=UTC)
        headers = {
            "content-type": "application/json",
            "x-shopify-topic": topic,
            self.signature.header: self.signature_value(body, secret_index),
            "x-shopify-shop-domain": "example.myshopify.com",
            "x-shopify-api-version": "2025-01",
            "x-shopify-webhook-id": webhook_id,
            "x-shopify-event-id": delivery_id or str(uuid.UUID(bytes=seed[16:], version=4)),
            "x-shopify-triggered-at": stamp.strftime("%Y-%m-%dT%H:%M:%S.000000000Z"),
        }
        return HttpRequest.outgoing("POST", url, headers, body)
