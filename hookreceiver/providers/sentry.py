"""Sentry (integration platform): ``Sentry-Hook-Signature`` = hex HMAC-SHA256 of the raw body.

The key is the integration's client secret. ``Sentry-Hook-Resource`` names what the event is
about (``installation``, ``issue``, ``error``, ``comment``, ``event_alert``, ``metric_alert``)
and the body's ``action`` what happened: the topic is ``issue.created`` with ``issue`` as an
alias. The delivery id is the ``Request-ID`` header. ``Sentry-Hook-Timestamp`` is sent but not
signed, so it is only ``sent_at``: there is no replay window.
"""

from __future__ import annotations

from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import HmacHeader
from hookreceiver.exceptions import PayloadError
from hookreceiver.providers.base import Identity
from hookreceiver.providers.common import derived_uuid, event_dict, json_bytes, refined_topic, text_fields
from hookreceiver.providers.shared_secret import BodyHmacProvider

__all__ = ["Sentry"]

RESOURCE = "sentry-hook-resource"
TIMESTAMP = "sentry-hook-timestamp"
REQUEST = "request-id"
_META = {
    "installation": "installation.uuid",
    "actor": "actor.name",
    "issue_id": "data.issue.id",
    "event_id": "data.event.event_id",
}


class Sentry(BodyHmacProvider):
    """Sentry integration webhooks; ``secret`` is the integration's client secret."""

    name: ClassVar[str] = "sentry"
    formats: frozenset[Format] = frozenset({"json"})
    signature: ClassVar[HmacHeader] = HmacHeader("Sentry-Hook-Signature")

    def peek_delivery_id(self, request: HttpRequest) -> str | None:
        return request.header(REQUEST) or None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        resource = (request.header(RESOURCE) or "").strip()
        if not resource:
            raise PayloadError("missing Sentry-Hook-Resource header", reason="missing_topic")
        action = payload.get("action") if isinstance(payload, dict) else None
        topic, aliases = refined_topic(resource, action)
        stamp = (request.header(TIMESTAMP) or "").strip()
        return Identity(
            topic=topic,
            aliases=aliases,
            delivery_id=request.header(REQUEST) or None,
            sent_at=float(stamp) if stamp.isdigit() else None,
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
        """The POST Sentry would send: ``issue.created`` sets the resource header and ``action``."""
        resource, _, action = topic.partition(".")
        event = event_dict(payload)
        if action:
            event["action"] = action
        body = json_bytes(event)
        headers = {
            "content-type": "application/json",
            REQUEST: delivery_id or derived_uuid(topic, timestamp, body),
            RESOURCE: resource,
            TIMESTAMP: str(int(timestamp)),
            self.signature.header: self.signature_value(body, secret_index),
        }
        return HttpRequest.outgoing("POST", url, headers, body)
