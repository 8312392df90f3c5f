"""Razorpay: ``X-Razorpay-Signature`` = hex HMAC-SHA256 of the raw body under the webhook secret.

The topic is the body's ``event`` (``payment.captured``); the delivery id the
``X-Razorpay-Event-Id`` header, which Razorpay keeps on retries. No timestamp is signed, so the
id dedupe is the replay defence; the body's ``created_at`` becomes ``sent_at``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import HmacHeader
from hookreceiver.exceptions import PayloadError
from hookreceiver.providers.base import Identity
from hookreceiver.providers.shared_secret import BodyHmacProvider

__all__ = ["Razorpay"]

EVENT_ID = "x-razorpay-event-id"


class Razorpay(BodyHmacProvider):
    """Razorpay webhooks (payments, orders, refunds, subscriptions ...)."""

    name: ClassVar[str] = "razorpay"
    formats: frozenset[Format] = frozenset({"json"})
    signature: ClassVar[HmacHeader] = HmacHeader("x-razorpay-signature")

    def peek_delivery_id(self, request: HttpRequest) -> str | None:
        """``X-Razorpay-Event-Id`` as sent, unverified (for rejection log lines)."""
        return request.header(EVENT_ID) or None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        topic = payload.get("event") if isinstance(payload, dict) else None
        if not isinstance(topic, str) or not topic:
            raise PayloadError("the webhook has no 'event'", reason="missing_topic")
        created = payload.get("created_at")
        account = payload.get("account_id")
        return Identity(
            topic=topic,
            delivery_id=request.header(EVENT_ID) or None,
            sent_at=float(created) if isinstance(created, int) and not isinstance(created, bool) else None,
            meta={"account_id": account} if isinstance(account, str) else {},
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
        """The webhook Razorpay would post: ``event`` = topic, ``X-Razorpay-Event-Id`` = id."""
        event: dict[str, Any] = {
            "entity": "event",
            "account_id": "acc_TestAccount0001",
            "contains": [],
            "created_at": int(timestamp),
        }
        event.update(payload if isinstance(payload, dict) else {"payload": payload})
        event["event"] = topic
        body = json.dumps(event, separators=(",", ":")).encode()
        if not delivery_id:
            delivery_id = hashlib.sha256(b"razorpay:" + body).hexdigest()[:14]
        headers = {
            "content-type": "application/json",
            EVENT_ID: delivery_id,
            self.signature.header: self.signature_value(body, secret_index),
        }
        return HttpRequest.outgoing("POST", url, headers, body)
