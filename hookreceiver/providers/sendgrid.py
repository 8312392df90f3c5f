"""SendGrid Signed Event Webhook: ECDSA P-256 / SHA-256 over ``timestamp + raw body``.

``X-Twilio-Email-Event-Webhook-Signature`` holds the base64 DER signature,
``X-Twilio-Email-Event-Webhook-Timestamp`` the Unix time it covers. The verification key is the
public key the Mail Settings page shows (base64 DER SubjectPublicKeyInfo). The body is a JSON
array of events, often ending in ``\\r\\n``, which the signature covers like every other byte.

One POST is one delivery carrying the whole batch. Its topic is the events' ``event`` when they
all share one (``delivered``); a mixed batch has the topic ``batch`` and every event type as an
alias, so a handler for ``open`` sees each batch holding an open (and picks its events out).
A single-event batch uses its ``sg_event_id`` as the delivery id, a larger one a hash of the body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import check_timestamp, decode_signature, parse_timestamp
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError
from hookreceiver.providers.asymmetric import (
    Key,
    Keys,
    is_pem_private,
    load_pem_private,
    p256_public_der,
    verify_any,
)
from hookreceiver.providers.base import BaseProvider, Identity

__all__ = ["SendGrid"]

SIGNATURE = "x-twilio-email-event-webhook-signature"
TIMESTAMP = "x-twilio-email-event-webhook-timestamp"


def _key(item: str | bytes) -> Key:
    if isinstance(item, str) and is_pem_private(item):
        return load_pem_private(item, "p256")
    if isinstance(item, bytes):
        return p256_public_der(item)
    text = "".join(
        item.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "").split()
    )
    try:
        der = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(
            "a SendGrid verification key is base64 DER (as Mail Settings shows it)"
        ) from None
    return p256_public_der(der)


def _events(payload: Any) -> list[dict[str, Any]]:
    return [e for e in payload if isinstance(e, dict)] if isinstance(payload, list) else []


class SendGrid(BaseProvider):
    """SendGrid event batches; ``secret`` is the verification (public) key, a list while rotating.

    A PEM private key is accepted too, for tests and ``hookreceiver send``. ``tolerance``
    (seconds, both ways) bounds the signed timestamp; it is off (0) by default, as in SendGrid's
    SDK, since whether a retry is signed anew is not documented.
    """

    name: ClassVar[str] = "sendgrid"

    def __init__(
        self,
        *,
        secret: str | bytes | Iterable[str | bytes],
        tolerance: float = 0.0,
        formats: Iterable[Format] = ("json",),
    ) -> None:
        self._keys = Keys(Keys.items(secret), _key)
        self.tolerance = tolerance
        self.formats = frozenset(formats)

    def __repr__(self) -> str:
        return f"SendGrid(keys={self._keys!r}, tolerance={self.tolerance:g})"

    def verify(self, request: HttpRequest, *, now: float) -> int:
        stamp = (request.header(TIMESTAMP) or "").strip()
        sent = parse_timestamp(stamp, header="X-Twilio-Email-Event-Webhook-Timestamp")
        text = (request.header(SIGNATURE) or "").strip()
        if not text:
            raise SignatureError("missing X-Twilio-Email-Event-Webhook-Signature", reason="missing_signature")
        signature = decode_signature(text, "base64")
        index = verify_any(self._keys.values, [signature], stamp.encode() + request.body)
        check_timestamp(sent, now=now, tolerance=self.tolerance)
        return index

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        events = _events(payload)
        kinds = sorted({e["event"] for e in events if isinstance(e.get("event"), str) and e["event"]})
        if not kinds:
            raise PayloadError("the body is not an array of events with 'event'", reason="missing_topic")
        topic, aliases = (kinds[0], ()) if len(kinds) == 1 else ("batch", tuple(kinds))
        event_id = events[0].get("sg_event_id") if len(events) == 1 else None
        stamp = request.header(TIMESTAMP)
        return Identity(
            topic=topic,
            aliases=aliases,
            delivery_id=event_id if isinstance(event_id, str) and event_id else None,
            sent_at=float(stamp) if stamp and stamp.strip().isdigit() else None,
            meta={"events": str(len(events))},
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
        """The batch SendGrid would post (``payload``: one event or a list); ``topic`` sets each
        event's ``event`` (except ``batch``), ``delivery_id`` the first ``sg_event_id``."""
        value = json.loads(json.dumps(payload))
        events: list[Any] = value if isinstance(value, list) else [value if isinstance(value, dict) else {}]
        for event in _events(events):
            if topic != "batch":
                event["event"] = topic
            event.setdefault("timestamp", int(timestamp))
            if not isinstance(event.get("sg_event_id"), str):
                seed = hashlib.sha256(json.dumps(event, sort_keys=True).encode()).digest()
                event["sg_event_id"] = base64.urlsafe_b64encode(seed[:16]).decode().rstrip("=")
        if delivery_id and _events(events):
            _events(events)[0]["sg_event_id"] = delivery_id
        body = json.dumps(events, separators=(",", ":")).encode() + b"\r\n"
        stamp = str(int(timestamp))
        signature = self._keys.values[secret_index].sign(stamp.encode() + body)
        headers = {
            "content-type": "application/json",
            TIMESTAMP: stamp,
            SIGNATURE: base64.b64encode(signature).decode(),
        }
        return HttpRequest.outgoing("POST", url, headers, body)
