"""Calendly: ``Calendly-Webhook-Signature: t=<unix>,v1=<hex>`` over ``"{t}.{raw body}"``.

HMAC-SHA256 in hex under the webhook subscription's signing key. Calendly's documented check
refuses a ``t`` more than 3 minutes old; we refuse one 3 minutes off either way by default
(``tolerance=``). The body's ``event`` (``invitee.created``, ``invitee.canceled``) is the topic.
Calendly sends no delivery id: the id is the event with the ``payload.uri`` it is about
(``invitee.created:https://api.calendly.com/scheduled_events/.../invitees/...``), so a retry is
a duplicate while a cancellation of the same invitee is not.
"""

from __future__ import annotations

from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import check_timestamp, hmac_digest, parse_timestamp, verify_digest
from hookreceiver.exceptions import PayloadError, SignatureError
from hookreceiver.providers.base import Identity
from hookreceiver.providers.common import derived_uuid, event_dict, iso_time, json_bytes, text_at, text_fields
from hookreceiver.providers.shared_secret import TimedSecretProvider

__all__ = ["Calendly"]

SIGNATURE = "calendly-webhook-signature"
_META = {"created_by": "created_by", "created_at": "created_at", "event_type": "payload.scheduled_event.uri"}


def parse_signature_header(value: str | None) -> tuple[str, list[bytes]]:
    """Split ``t=...,v1=...`` into the timestamp text and the decoded ``v1`` digests."""
    if not value:
        raise SignatureError("missing Calendly-Webhook-Signature", reason="missing_signature")
    stamp = ""
    digests: list[bytes] = []
    for part in value.split(","):
        key, _, text = part.strip().partition("=")
        if key == "t":
            stamp = text.strip()
        elif key == "v1":
            try:
                digests.append(bytes.fromhex(text.strip()))
            except ValueError:
                continue  # cannot match; another v1 may
    if not stamp:
        raise SignatureError("Calendly-Webhook-Signature has no t=", reason="missing_timestamp")
    if not digests:
        raise SignatureError("Calendly-Webhook-Signature has no v1= signature", reason="missing_signature")
    return stamp, digests


class Calendly(TimedSecretProvider):
    """Calendly webhook subscriptions; ``secret`` is the signing key (a list while rotating)."""

    name: ClassVar[str] = "calendly"
    formats: frozenset[Format] = frozenset({"json"})
    tolerance: float = 180.0

    def verify(self, request: HttpRequest, *, now: float) -> int:
        stamp, digests = parse_signature_header(request.header(SIGNATURE))
        sent = parse_timestamp(stamp, header="Calendly-Webhook-Signature t")
        index = verify_digest(stamp.encode() + b"." + request.body, digests, secrets=self._secrets)
        check_timestamp(sent, now=now, tolerance=self.tolerance)
        return index

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        topic = payload.get("event") if isinstance(payload, dict) else None
        if not isinstance(topic, str) or not topic:
            raise PayloadError("the webhook has no 'event'", reason="missing_topic")
        uri = text_at(payload, "payload.uri")
        stamp, _ = parse_signature_header(request.header(SIGNATURE))
        return Identity(
            topic=topic,
            delivery_id=f"{topic}:{uri}" if uri else None,
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
        """The POST Calendly would send; ``payload`` is the event's ``payload`` object. A
        ``delivery_id`` of the form ``event:uri`` (what ``identify`` returns) sets ``payload.uri``."""
        given = event_dict(payload, "payload")
        inner: Any = given.get("payload", given) if "event" in given else given
        body_value: dict[str, Any] = {
            "created_at": iso_time(timestamp, millis=True),
            "created_by": "https://api.calendly.com/users/AAAAAAAAAAAAAAAA",
            "event": topic,
            "payload": inner,
        }
        if isinstance(inner, dict):
            if delivery_id:
                inner["uri"] = delivery_id.removeprefix(f"{topic}:")
            inner.setdefault("uri", "https://api.calendly.com/invitees/" + derived_uuid(topic, inner))
        body = json_bytes(body_value)
        stamp = str(int(timestamp))
        digest = hmac_digest("sha256", self._secrets.values[secret_index], stamp.encode() + b"." + body)
        headers = {"content-type": "application/json", SIGNATURE: f"t={stamp},v1={digest.hex()}"}
        return HttpRequest.outgoing("POST", url, headers, body)
