"""Zoom: ``x-zm-signature: v0=<hex>`` over ``"v0:{x-zm-request-timestamp}:{raw body}"``.

HMAC-SHA256 under the app's webhook Secret Token. Zoom gives no window; we refuse a timestamp
more than 5 minutes off either way by default (``tolerance=``). The URL validation
(``endpoint.url_validation``, sent when the endpoint is saved and every 72 hours) is signed
like any event and answered, after verifying, with ``{"plainToken", "encryptedToken"}``, the
token's hex HMAC-SHA256 under the secret that verified the request.

The topic is the body's ``event`` (``meeting.started``). Zoom sends no delivery id: the id is
``event:event_ts:object`` (the object's ``uuid`` or ``id``), which a retry repeats.
"""

from __future__ import annotations

from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest, Reply
from hookreceiver.core.signing import HmacHeader, hmac_digest, parse_timestamp
from hookreceiver.exceptions import PayloadError
from hookreceiver.providers.base import Identity, lookup
from hookreceiver.providers.common import event_dict, json_bytes, text_at, text_fields
from hookreceiver.providers.shared_secret import TimedHmacProvider

__all__ = ["URL_VALIDATION", "Zoom"]

TIMESTAMP = "x-zm-request-timestamp"
URL_VALIDATION = "endpoint.url_validation"
MAX_TOKEN = 256
_META = {
    "account_id": "payload.account_id",
    "object_id": "payload.object.id",
    "host_id": "payload.object.host_id",
}


class Zoom(TimedHmacProvider):
    """Zoom app webhooks; ``secret`` is the Secret Token (a list while rotating)."""

    name: ClassVar[str] = "zoom"
    formats: frozenset[Format] = frozenset({"json"})
    signature: ClassVar[HmacHeader] = HmacHeader("x-zm-signature", prefix="v0=")
    tolerance: float = 300.0

    def signed(self, request: HttpRequest) -> tuple[float, bytes]:
        stamp = (request.header(TIMESTAMP) or "").strip()
        sent = parse_timestamp(stamp, header="x-zm-request-timestamp")
        return sent, b"v0:" + stamp.encode() + b":" + request.body

    def handshake(self, request: HttpRequest, payload: Any) -> Reply | None:
        if not isinstance(payload, dict) or payload.get("event") != URL_VALIDATION:
            return None
        token = lookup(payload, "payload.plainToken")
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
            raise PayloadError("a URL validation without a usable plainToken", reason="missing_challenge")
        key = self._secrets.values[self.match(request)[0]]
        encrypted = hmac_digest("sha256", key, token.encode()).hex()
        return Reply.json({"plainToken": token, "encryptedToken": encrypted})

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        topic = payload.get("event") if isinstance(payload, dict) else None
        if not isinstance(topic, str) or not topic:
            raise PayloadError("the event has no 'event'", reason="missing_topic")
        stamp = text_at(payload, "event_ts")
        subject = text_at(payload, "payload.object.uuid") or text_at(payload, "payload.object.id")
        sent = request.header(TIMESTAMP) or ""
        return Identity(
            topic=topic,
            delivery_id=f"{topic}:{stamp}:{subject}" if stamp and subject else None,
            sent_at=float(sent) if sent.strip().isdigit() else None,
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
        """The POST Zoom would send; ``payload`` is the event's ``payload.object``, or a whole
        ``payload`` (a dict with ``object`` or ``plainToken``). ``endpoint.url_validation`` makes
        the validation request. A ``delivery_id`` sets the object's ``uuid``."""
        given = event_dict(payload, "object")
        inner: dict[str, Any] = given if "object" in given or "plainToken" in given else {"object": given}
        if topic == URL_VALIDATION:
            inner.setdefault("plainToken", "qgg8vlvZRS6UYooatFL8Aw")
        elif isinstance(inner.get("object"), dict):
            inner.setdefault("account_id", "AAAAAAAAAAAAAAAAAAAAAA")
            if delivery_id:
                inner["object"]["uuid"] = delivery_id
        body = json_bytes({"event": topic, "payload": inner, "event_ts": int(timestamp * 1000)})
        stamp = str(int(timestamp))
        headers = {
            "content-type": "application/json; charset=utf-8",
            "user-agent": "Zoom Marketplace/1.0a",
            TIMESTAMP: stamp,
            self.signature.header: self.signature_value(f"v0:{stamp}:".encode() + body, secret_index),
        }
        return HttpRequest.outgoing("POST", url, headers, body)
