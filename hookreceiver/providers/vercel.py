"""Vercel: ``x-vercel-signature`` = hex HMAC-SHA1 of the raw body.

The key is the webhook's secret (account webhooks) or the integration's client secret. The
body is ``{"id", "type", "createdAt", "payload", "region"}``: ``type`` is the topic
(``deployment.created``), ``id`` the delivery id, ``createdAt`` (milliseconds) the send time.
Vercel signs no timestamp header, so there is no replay window: dedupe on the id is the defence.
"""

from __future__ import annotations

from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import HmacHeader
from hookreceiver.exceptions import PayloadError
from hookreceiver.providers.base import Identity
from hookreceiver.providers.common import derived_uuid, event_dict, json_bytes, text_fields
from hookreceiver.providers.shared_secret import BodyHmacProvider

__all__ = ["Vercel"]

_META = {
    "region": "region",
    "team_id": "payload.team.id",
    "user_id": "payload.user.id",
    "project_id": "payload.project.id",
    "deployment_id": "payload.deployment.id",
}


class Vercel(BodyHmacProvider):
    """Vercel webhooks; ``secret`` is the webhook (or integration client) secret."""

    name: ClassVar[str] = "vercel"
    formats: frozenset[Format] = frozenset({"json"})
    signature: ClassVar[HmacHeader] = HmacHeader("x-vercel-signature", algorithm="sha1")

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        topic = payload.get("type") if isinstance(payload, dict) else None
        if not isinstance(topic, str) or not topic:
            raise PayloadError("the event has no 'type'", reason="missing_topic")
        event_id = payload.get("id")
        created = payload.get("createdAt")
        return Identity(
            topic=topic,
            delivery_id=event_id if isinstance(event_id, str) and event_id else None,
            sent_at=created / 1000 if isinstance(created, int) and not isinstance(created, bool) else None,
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
        """The event Vercel would post; ``payload`` is the event's ``payload`` object, or a whole
        event (a dict with ``payload``)."""
        given = event_dict(payload, "payload")
        event: dict[str, Any] = given if "payload" in given else {"payload": given}
        event["type"] = topic
        event.setdefault("createdAt", int(timestamp * 1000))
        event.setdefault("region", "iad1")
        event["id"] = delivery_id or event.get("id") or derived_uuid(topic, event["payload"]).replace("-", "")
        body = json_bytes(event)
        headers = {
            "content-type": "application/json",
            self.signature.header: self.signature_value(body, secret_index),
        }
        return HttpRequest.outgoing("POST", url, headers, body)
