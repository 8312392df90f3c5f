"""Linear: ``Linear-Signature`` = hex HMAC-SHA256 of the raw body; the body's ``webhookTimestamp``.

The timestamp (Unix milliseconds) sits inside the signed body, so it is read after the signature
checks out. Linear's SDK (``LinearWebhooks.verify``) refuses one more than 60 s from the clock in
either direction, and so do we by default (``tolerance=``); unlike the SDK we also refuse a body
without one while the window is on. The topic is ``{type}.{action}`` (``Issue.create``) with the
bare ``type`` as an alias; the delivery id the ``Linear-Delivery`` header.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import HmacHeader, check_timestamp
from hookreceiver.exceptions import PayloadError, SignatureError
from hookreceiver.providers.base import Identity
from hookreceiver.providers.common import (
    derived_uuid,
    event_dict,
    iso_time,
    json_bytes,
    refined_topic,
    text_fields,
)
from hookreceiver.providers.shared_secret import TimedSecretProvider

__all__ = ["Linear"]

DELIVERY = "linear-delivery"
EVENT = "linear-event"
TIMESTAMP_FIELD = "webhookTimestamp"
_META = {"webhook_id": "webhookId", "organization_id": "organizationId", "url": "url"}


def _millis(payload: Any) -> int | None:
    value = payload.get(TIMESTAMP_FIELD) if isinstance(payload, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Linear(TimedSecretProvider):
    """Linear webhooks; ``secret`` is the webhook's signing secret (a list while rotating)."""

    name: ClassVar[str] = "linear"
    formats: frozenset[Format] = frozenset({"json"})
    signature: ClassVar[HmacHeader] = HmacHeader("Linear-Signature")
    tolerance: float = 60.0

    def verify(self, request: HttpRequest, *, now: float) -> int:
        index = self.check_signature(request, request.body)
        if self.tolerance > 0:
            try:
                stamp = _millis(json.loads(request.body))
            except ValueError:
                stamp = None  # the decoder reports the body itself
            if stamp is None:
                raise SignatureError("the body has no integer webhookTimestamp", reason="missing_timestamp")
            check_timestamp(stamp / 1000, now=now, tolerance=self.tolerance)
        return index

    def peek_delivery_id(self, request: HttpRequest) -> str | None:
        return request.header(DELIVERY) or None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        kind = payload.get("type") if isinstance(payload, dict) else None
        if not isinstance(kind, str) or not kind:
            kind = (request.header(EVENT) or "").strip()
        if not kind:
            raise PayloadError("the webhook has no 'type'", reason="missing_topic")
        action = payload.get("action") if isinstance(payload, dict) else None
        topic, aliases = refined_topic(kind, action)
        stamp = _millis(payload)
        return Identity(
            topic=topic,
            aliases=aliases,
            delivery_id=request.header(DELIVERY) or None,
            sent_at=stamp / 1000 if stamp is not None else None,
            meta=text_fields(payload, _META),
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
        """The POST Linear would send: ``Issue.create`` sets ``type`` and ``action``."""
        event = event_dict(payload)
        kind, _, action = topic.partition(".")
        event["type"] = kind
        if action:
            event["action"] = action
        event.setdefault("createdAt", iso_time(timestamp, millis=True))
        event[TIMESTAMP_FIELD] = int(timestamp * 1000)
        body = json_bytes(event)
        headers = {
            "content-type": "application/json; charset=utf-8",
            "user-agent": "Linear-Webhook",
            EVENT: kind,
            DELIVERY: delivery_id or derived_uuid(topic, body),
            self.signature.header: self.signature_value(body, secret_index),
        }
        return HttpRequest.outgoing("POST", url, headers, body)
