"""Typeform: ``Typeform-Signature: sha256=<base64>``, the HMAC-SHA256 of the raw body.

Note the encoding: base64 after a ``sha256=`` prefix (GitHub-style prefixes carry hex). The key
is the secret set on the webhook. The body's ``event_type`` (``form_response``) is the topic and
its ``event_id`` the delivery id; the form id and the response ``token`` go to ``meta``.
Typeform signs no timestamp, so there is no replay window.
"""

from __future__ import annotations

from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import HmacHeader
from hookreceiver.exceptions import PayloadError
from hookreceiver.providers.base import Identity
from hookreceiver.providers.common import derived_uuid, event_dict, iso_time, json_bytes, text_fields
from hookreceiver.providers.shared_secret import BodyHmacProvider

__all__ = ["Typeform"]

_META = {
    "form_id": "form_response.form_id",
    "token": "form_response.token",
    "submitted_at": "form_response.submitted_at",
}


class Typeform(BodyHmacProvider):
    """Typeform webhooks; ``secret`` is the webhook's secret (a list while rotating)."""

    name: ClassVar[str] = "typeform"
    formats: frozenset[Format] = frozenset({"json"})
    signature: ClassVar[HmacHeader] = HmacHeader("Typeform-Signature", encoding="base64", prefix="sha256=")

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        topic = payload.get("event_type") if isinstance(payload, dict) else None
        if not isinstance(topic, str) or not topic:
            raise PayloadError("the webhook has no 'event_type'", reason="missing_topic")
        event_id = payload.get("event_id")
        return Identity(
            topic=topic,
            delivery_id=event_id if isinstance(event_id, str) and event_id else None,
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
        """The POST Typeform would send; ``payload`` is the ``form_response`` object, or a whole
        event (a dict with ``form_response``)."""
        given = event_dict(payload, "form_response")
        event: dict[str, Any] = given if "form_response" in given else {"form_response": given}
        event["event_type"] = topic
        response = event["form_response"]
        if isinstance(response, dict):
            response.setdefault("submitted_at", iso_time(timestamp))
        seed = derived_uuid(topic, event).replace("-", "").upper()
        event["event_id"] = delivery_id or event.get("event_id") or "01" + seed[:24]
        body = json_bytes(event)
        headers = {
            "content-type": "application/json",
            "user-agent": "Typeform Webhooks",
            self.signature.header: self.signature_value(body, secret_index),
        }
        return HttpRequest.outgoing("POST", url, headers, body)
