"""Coinbase Commerce: ``X-CC-Webhook-Signature`` = hex HMAC-SHA256 of the raw body.

The key is the webhook subscription's shared secret. The body wraps the event:
``{"id", "scheduled_for", "attempt_number", "event": {"id", "type", "data", ...}}``. The topic
is ``event.type`` (``charge:confirmed``); the delivery id ``event.id``, the same on every attempt
(the outer ``id`` and ``attempt_number`` go to ``meta``). No timestamp is signed.
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
from hookreceiver.providers.shared_secret import BodyHmacProvider

__all__ = ["Coinbase"]


def _uuid(seed: bytes) -> str:
    return str(uuid.UUID(bytes=hashlib.sha256(seed).digest()[:16], version=4))


class Coinbase(BodyHmacProvider):
    """Coinbase Commerce webhooks (charges, checkouts)."""

    name: ClassVar[str] = "coinbase"
    formats: frozenset[Format] = frozenset({"json"})
    signature: ClassVar[HmacHeader] = HmacHeader("x-cc-webhook-signature")

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        event = payload.get("event") if isinstance(payload, dict) else None
        topic = event.get("type") if isinstance(event, dict) else None
        if not isinstance(event, dict) or not isinstance(topic, str) or not topic:
            raise PayloadError("the webhook has no 'event.type'", reason="missing_topic")
        event_id = event.get("id")
        meta = {"notification_id": payload["id"]} if isinstance(payload.get("id"), str) else {}
        attempt = payload.get("attempt_number")
        if isinstance(attempt, int) and not isinstance(attempt, bool):
            meta["attempt_number"] = str(attempt)
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
        """The webhook Coinbase Commerce would post; ``payload`` is the event (``data`` inside)."""
        when = datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        event: dict[str, Any] = {"resource": "event", "api_version": "2018-03-22", "created_at": when}
        event.update(payload if isinstance(payload, dict) else {"data": payload})
        event["type"] = topic
        if delivery_id:
            event["id"] = delivery_id
        elif not isinstance(event.get("id"), str):
            event["id"] = _uuid(json.dumps(event, sort_keys=True).encode())
        wrapper = {
            "id": _uuid(f"{event['id']}:{when}".encode()),
            "scheduled_for": when,
            "attempt_number": 1,
            "event": event,
        }
        body = json.dumps(wrapper, separators=(",", ":")).encode()
        headers = {
            "content-type": "application/json",
            self.signature.header: self.signature_value(body, secret_index),
        }
        return HttpRequest.outgoing("POST", url, headers, body)
