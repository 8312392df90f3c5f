"""Zendesk: ``X-Zendesk-Webhook-Signature`` = base64 HMAC-SHA256 of ``timestamp + raw body``.

The timestamp is the ``X-Zendesk-Webhook-Signature-Timestamp`` header as sent (ISO 8601,
``2023-11-14T22:13:20Z``), joined to the body with nothing between; the key is the webhook's
signing secret. Zendesk gives no window: we refuse a timestamp more than 5 minutes off either
way by default (``tolerance=``).

Event-subscription webhooks carry ``{"type": "zen:event-type:ticket.created", "id", ...}``: the
topic is the type without its ``zen:event-type:`` prefix and the id the event's ``id``. Trigger
and automation webhooks post a body of your own: the topic is ``webhook`` and the id
``X-Zendesk-Webhook-Invocation-Id``. Bodies of PUT and PATCH requests are signed the same way;
GET and DELETE webhooks sign no payload and are not accepted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import HmacHeader
from hookreceiver.exceptions import SignatureError
from hookreceiver.providers.base import Identity
from hookreceiver.providers.common import derived_uuid, event_dict, iso_time, json_bytes, text_fields
from hookreceiver.providers.shared_secret import TimedHmacProvider

__all__ = ["Zendesk"]

TIMESTAMP = "x-zendesk-webhook-signature-timestamp"
WEBHOOK = "x-zendesk-webhook-id"
INVOCATION = "x-zendesk-webhook-invocation-id"
EVENT_PREFIX = "zen:event-type:"
_META = {"account_id": "account_id", "subject": "subject", "time": "time"}


def parse_iso(text: str | None) -> float:
    """The signed ISO 8601 timestamp as Unix seconds; unreadable text is a bad signature."""
    if not text or not text.strip():
        raise SignatureError("missing X-Zendesk-Webhook-Signature-Timestamp", reason="missing_timestamp")
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SignatureError("the signature timestamp is not ISO 8601", reason="bad_timestamp") from None
    if parsed.tzinfo is None:
        raise SignatureError("the signature timestamp has no time zone", reason="bad_timestamp")
    return parsed.timestamp()


class Zendesk(TimedHmacProvider):
    """Zendesk webhooks; ``secret`` is the webhook's signing secret (a list while rotating)."""

    name: ClassVar[str] = "zendesk"
    methods: frozenset[str] = frozenset({"POST", "PUT", "PATCH"})
    formats: frozenset[Format] = frozenset({"json", "form", "xml"})
    signature: ClassVar[HmacHeader] = HmacHeader("X-Zendesk-Webhook-Signature", encoding="base64")
    tolerance: float = 300.0

    def signed(self, request: HttpRequest) -> tuple[float, bytes]:
        stamp = request.header(TIMESTAMP)
        return parse_iso(stamp), (stamp or "").encode() + request.body

    def peek_delivery_id(self, request: HttpRequest) -> str | None:
        return request.header(INVOCATION) or None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        kind = payload.get("type") if isinstance(payload, dict) else None
        meta = {"webhook_id": w} if (w := request.header(WEBHOOK)) else {}
        if (invocation := request.header(INVOCATION)) is not None:
            meta["invocation_id"] = invocation
        sent = parse_iso(request.header(TIMESTAMP))
        if isinstance(kind, str) and kind.startswith(EVENT_PREFIX) and len(kind) > len(EVENT_PREFIX):
            event_id = payload.get("id")
            meta.update(text_fields(payload, _META))
            return Identity(
                topic=kind.removeprefix(EVENT_PREFIX),
                delivery_id=event_id if isinstance(event_id, str) and event_id else invocation,
                sent_at=sent,
                meta=meta,
            )
        return Identity(topic="webhook", delivery_id=invocation or None, sent_at=sent, meta=meta)

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
        """The POST Zendesk would send: an event-subscription event of type ``topic``
        (``ticket.created``), or, for the topic ``webhook``, ``payload`` as the trigger's body."""
        stamp = iso_time(timestamp)
        if topic == "webhook":
            event = event_dict(payload)
            invocation = delivery_id or derived_uuid(topic, event)
        else:
            given = event_dict(payload, "detail")
            event = {
                "account_id": 10000001,
                "detail": given.get("detail", given) if "detail" in given else given,
                "event": {},
                "id": delivery_id or derived_uuid(topic, given),
                "subject": "zen:ticket:1",
                "time": stamp,
                "type": EVENT_PREFIX + topic,
                "zendesk_event_version": "2022-11-06",
            }
            invocation = derived_uuid("invocation", event["id"], stamp)
        body = json_bytes(event)
        headers = {
            "content-type": "application/json",
            WEBHOOK: "01" + derived_uuid("webhook", url).replace("-", "")[:24].upper(),
            INVOCATION: invocation,
            TIMESTAMP: stamp,
            self.signature.header: self.signature_value(stamp.encode() + body, secret_index),
        }
        return HttpRequest.outgoing("POST", url, headers, body)
