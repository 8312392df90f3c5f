"""HubSpot webhooks, signature v3: ``X-HubSpot-Signature-v3`` over method, URI, body and time.

The base64 HMAC-SHA256, under the app's client secret, of ``method + uri + raw body +
X-HubSpot-Request-Timestamp`` (the timestamp in milliseconds, as sent). The URI is the full
public URL, scheme and query included, with the percent-escapes HubSpot lists decoded
(``%3A`` ``%2F`` ``%3F`` ``%40`` ``%21`` ``%24`` ``%27`` ``%28`` ``%29`` ``%2A`` ``%2C``
``%3B``). HubSpot's SDK (``hubspot.utils.signature.Signature``) refuses a timestamp 5 minutes
old; we refuse one 5 minutes off either way (``tolerance=``). The older v1/v2 signatures (plain
SHA-256 of secret + content, no timestamp) are not accepted.

A POST carries a JSON array of up to 100 events, each its own delivery: the topic is the event's
``subscriptionType`` (``contact.creation``, ``deal.propertyChange``), the id its ``eventId``
(kept across attempts; ``attemptNumber`` goes to ``meta``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import HmacHeader, parse_timestamp
from hookreceiver.exceptions import PayloadError
from hookreceiver.providers.base import Identity
from hookreceiver.providers.common import event_dict, json_bytes, text_at, text_fields
from hookreceiver.providers.shared_secret import TimedHmacProvider

__all__ = ["HubSpot", "signed_uri"]

TIMESTAMP = "x-hubspot-request-timestamp"
# The escapes HubSpot decodes before signing (its request-validation docs); others stay as sent.
_DECODED = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
_META = {
    "portal_id": "portalId",
    "app_id": "appId",
    "object_id": "objectId",
    "attempt": "attemptNumber",
    "subscription_id": "subscriptionId",
    "property": "propertyName",
    "change_source": "changeSource",
}


def signed_uri(url: str) -> str:
    """The URI as HubSpot signs it: ``url`` with the listed escapes decoded (either case)."""
    out: list[str] = []
    index = 0
    while index < len(url):
        chunk = url[index : index + 3].upper()
        if url[index] == "%" and chunk in _DECODED:
            out.append(_DECODED[chunk])
            index += 3
        else:
            out.append(url[index])
            index += 1
    return "".join(out)


class HubSpot(TimedHmacProvider):
    """HubSpot app webhooks (signature v3); ``secret`` is the app's client secret."""

    name: ClassVar[str] = "hubspot"
    formats: frozenset[Format] = frozenset({"json"})
    signature: ClassVar[HmacHeader] = HmacHeader("X-HubSpot-Signature-v3", encoding="base64")
    tolerance: float = 300.0

    def signed(self, request: HttpRequest) -> tuple[float, bytes]:
        stamp = (request.header(TIMESTAMP) or "").strip()
        sent = parse_timestamp(stamp, header="X-HubSpot-Request-Timestamp", scale=1000)
        return sent, (request.method + signed_uri(request.url)).encode() + request.body + stamp.encode()

    def split(self, request: HttpRequest, payload: Any) -> Sequence[Any] | None:
        if not isinstance(payload, list):
            raise PayloadError("a HubSpot webhook body is a JSON array of events", reason="bad_payload")
        return payload

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        topic = payload.get("subscriptionType") if isinstance(payload, dict) else None
        if not isinstance(topic, str) or not topic:
            raise PayloadError("an event has no 'subscriptionType'", reason="missing_topic")
        occurred = payload.get("occurredAt")
        return Identity(
            topic=topic,
            delivery_id=text_at(payload, "eventId"),
            sent_at=occurred / 1000 if isinstance(occurred, int) and not isinstance(occurred, bool) else None,
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
        """The POST HubSpot would send: a batch of one event of type ``topic`` (``payload``
        holds its other fields), or ``payload`` itself when it is a list of events."""
        millis = int(timestamp * 1000)
        if isinstance(payload, list):
            events = [event_dict(item) for item in payload]
        else:
            event = event_dict(payload)
            event["subscriptionType"] = topic
            event.setdefault("portalId", 62515)
            event.setdefault("appId", 54321)
            event.setdefault("occurredAt", millis)
            event.setdefault("attemptNumber", 0)
            if delivery_id:
                event["eventId"] = int(delivery_id) if delivery_id.isdigit() else delivery_id
            event.setdefault(
                "eventId", int.from_bytes(hashlib.sha256(json_bytes([topic, event])).digest()[:6], "big")
            )
            events = [event]
        body = json_bytes(events)
        stamp = str(millis)
        content = ("POST" + signed_uri(url)).encode() + body + stamp.encode()
        headers = {
            "content-type": "application/json",
            "user-agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/)",
            TIMESTAMP: stamp,
            self.signature.header: self.signature_value(content, secret_index),
        }
        return HttpRequest.outgoing("POST", url, headers, body)
