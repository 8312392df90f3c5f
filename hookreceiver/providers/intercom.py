"""Intercom: ``X-Hub-Signature: sha1=<hex>``, the HMAC-SHA1 of the raw body under the app's
client secret.

The body is a ``notification_event``: its ``topic`` (``conversation.user.created``, ``ping``)
is the topic and its ``id`` (``notif_...``, kept on retries) the delivery id;
``delivery_attempts`` and ``app_id`` go to ``meta``. Intercom signs no timestamp (and only with
SHA-1), so dedupe on the id is the replay defence.
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

__all__ = ["Intercom"]

_META = {"app_id": "app_id", "delivery_attempts": "delivery_attempts", "item_type": "data.item.type"}


class Intercom(BodyHmacProvider):
    """Intercom webhooks; ``secret`` is the app's client secret (a list while rotating)."""

    name: ClassVar[str] = "intercom"
    formats: frozenset[Format] = frozenset({"json"})
    signature: ClassVar[HmacHeader] = HmacHeader("X-Hub-Signature", algorithm="sha1", prefix="sha1=")

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        topic = payload.get("topic") if isinstance(payload, dict) else None
        if not isinstance(topic, str) or not topic:
            raise PayloadError("the notification has no 'topic'", reason="missing_topic")
        notification = payload.get("id")
        sent = payload.get("first_sent_at") or payload.get("created_at")
        return Identity(
            topic=topic,
            delivery_id=notification if isinstance(notification, str) and notification else None,
            sent_at=float(sent) if isinstance(sent, int) and not isinstance(sent, bool) and sent else None,
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
        """The notification Intercom would post; ``payload`` is the ``data.item`` object, or a
        whole notification (a dict with ``data``)."""
        given = event_dict(payload, "item")
        note: dict[str, Any] = {"type": "notification_event", "app_id": "abc123de"}
        if isinstance(given.get("data"), dict):
            note.update(given)
        else:
            note["data"] = {"type": "notification_event_data", "item": given}
        note["topic"] = topic
        stamp = int(timestamp)
        note.setdefault("created_at", stamp)
        note.setdefault("first_sent_at", stamp)
        note.setdefault("delivery_attempts", 1)
        note["id"] = delivery_id or note.get("id") or "notif_" + derived_uuid(topic, note["data"])
        body = json_bytes(note)
        headers = {
            "content-type": "application/json",
            "user-agent": "intercom-parrot-service-sidekiq/1.0",
            self.signature.header: self.signature_value(body, secret_index),
        }
        return HttpRequest.outgoing("POST", url, headers, body)
