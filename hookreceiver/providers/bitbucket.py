"""Bitbucket Cloud: ``X-Hub-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw body.

The header is sent only when the webhook has a secret (note the name: GitHub and Meta use
``X-Hub-Signature`` for SHA-1, Bitbucket for SHA-256). The topic is ``X-Event-Key``
(``repo:push``, ``pullrequest:created``); the delivery id ``X-Request-UUID``, with
``X-Attempt-Number`` and ``X-Hook-UUID`` in ``meta``. No timestamp is signed, so there is no
replay window: dedupe on the request UUID is the defence.
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

__all__ = ["Bitbucket"]

EVENT = "x-event-key"
REQUEST = "x-request-uuid"
_META_HEADERS = {"hook_uuid": "x-hook-uuid", "attempt": "x-attempt-number"}
_META_BODY = {"repository": "repository.full_name", "actor": "actor.nickname"}


class Bitbucket(BodyHmacProvider):
    """Bitbucket Cloud webhooks; ``secret`` is the webhook's secret (a list while rotating)."""

    name: ClassVar[str] = "bitbucket"
    formats: frozenset[Format] = frozenset({"json"})
    signature: ClassVar[HmacHeader] = HmacHeader("X-Hub-Signature", prefix="sha256=")

    def peek_delivery_id(self, request: HttpRequest) -> str | None:
        return request.header(REQUEST) or None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        event = (request.header(EVENT) or "").strip()
        if not event:
            raise PayloadError("missing X-Event-Key header", reason="missing_topic")
        meta = text_fields(payload, _META_BODY)
        meta.update({k: v for k, h in _META_HEADERS.items() if (v := request.header(h))})
        return Identity(topic=event, delivery_id=request.header(REQUEST) or None, meta=meta)

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
        """The POST Bitbucket would send: ``topic`` is the event key (``repo:push``)."""
        body = json_bytes(event_dict(payload))
        headers = {
            "content-type": "application/json",
            "user-agent": "Bitbucket-Webhooks/2.0",
            EVENT: topic,
            REQUEST: delivery_id or derived_uuid(topic, timestamp, body),
            "x-hook-uuid": derived_uuid("hook", url),
            "x-attempt-number": "1",
            self.signature.header: self.signature_value(body, secret_index),
        }
        return HttpRequest.outgoing("POST", url, headers, body)
