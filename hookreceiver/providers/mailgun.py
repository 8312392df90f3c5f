"""Mailgun: a ``signature`` object in the body, HMAC-SHA256 hex over ``timestamp + token``.

JSON webhooks carry ``{"signature": {"timestamp", "token", "signature"}, "event-data": {...}}``;
legacy webhooks and inbound routes post the same three values as form fields. The key is the
account's HTTP webhook signing key. The timestamp must lie within ``tolerance`` (900 s, as in
Mailgun's SDK) of our clock.

**The signature does not cover the event**: only the timestamp and the random token. Anyone who
sees one signed body can post other event data under the same signature until the window
closes. ``token`` goes into ``meta`` so a handler can refuse a token it saw before; HTTPS and a
short ``tolerance`` are the defence Mailgun offers.

Topics: ``event-data.event`` (``delivered``, ``opened``, ``clicked``, ``complained``,
``unsubscribed``, ``failed`` ...); ``failed`` is refined by its severity (``failed.permanent``,
alias ``failed``). Legacy forms use their ``event`` field. The delivery id is ``event-data.id``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format, decode_body
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import (
    Secrets,
    check_timestamp,
    hmac_digest,
    parse_timestamp,
    verify_hmac,
)
from hookreceiver.exceptions import PayloadError, SignatureError
from hookreceiver.providers.base import BaseProvider, Identity, lookup

__all__ = ["Mailgun"]


def _signature_fields(payload: Any) -> tuple[str, str, str]:
    """timestamp, token and signature: from the JSON ``signature`` object or the form's fields."""
    source = payload.get("signature") if isinstance(payload, Mapping) else None
    if not isinstance(source, Mapping):
        source = payload if isinstance(payload, Mapping) else {}
    values = [source.get(name) for name in ("timestamp", "token", "signature")]
    stamp, token, signature = (
        str(v) if isinstance(v, str | int) and not isinstance(v, bool) else "" for v in values
    )
    return stamp, token, signature


class Mailgun(BaseProvider):
    """Mailgun event webhooks and routes; ``secret`` is the webhook signing key (a list while
    rotating). ``tolerance``: seconds either way (900 by default; 0 turns it off)."""

    name: ClassVar[str] = "mailgun"
    formats: frozenset[Format] = frozenset({"json", "form"})

    def __init__(self, *, secret: str | bytes | Iterable[str | bytes], tolerance: float = 900.0) -> None:
        self._secrets = Secrets(secret)
        self.tolerance = tolerance

    def __repr__(self) -> str:
        return f"Mailgun(secrets={self._secrets!r}, tolerance={self.tolerance:g})"

    def verify(self, request: HttpRequest, *, now: float) -> int:
        # The signature sits inside the body, so the body is decoded (with the usual limits) first.
        payload = decode_body(request.body, request.content_type, accept=self.formats)
        stamp, token, signature = _signature_fields(payload)
        if not signature:
            raise SignatureError("the body has no signature.signature", reason="missing_signature")
        if not token:
            raise SignatureError("the body has no signature.token", reason="missing_token")
        sent = parse_timestamp(stamp, header="signature.timestamp")
        index = verify_hmac(
            (stamp + token).encode(),
            signature,
            secrets=self._secrets,
            algorithm="sha256",
            encoding="hex",
            header="signature.signature",
        )
        check_timestamp(sent, now=now, tolerance=self.tolerance)
        return index

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        data = lookup(payload, "event-data")
        data = data if isinstance(data, Mapping) else None
        topic, aliases = _topic(payload, data)
        event_id = lookup(data, "id") if data is not None else None
        stamp, token, _ = _signature_fields(payload)
        meta = {
            "token": token,
            "recipient": lookup(data, "recipient") if data else None,
            "message_id": lookup(data, "message.headers.message-id") if data else None,
        }
        return Identity(
            topic=topic,
            aliases=aliases,
            delivery_id=event_id if isinstance(event_id, str) and event_id else None,
            sent_at=float(stamp) if stamp.isdigit() else None,
            meta={k: v for k, v in meta.items() if isinstance(v, str) and v},
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
        """A JSON webhook as Mailgun posts it: ``payload`` is the ``event-data`` (or the whole
        body); ``topic`` sets ``event`` (``failed.permanent`` the severity too)."""
        value = json.loads(json.dumps(payload)) if isinstance(payload, dict) else {}
        data: dict[str, Any] = value["event-data"] if isinstance(value.get("event-data"), dict) else value
        event, _, severity = topic.partition(".")
        data["event"] = event
        if severity:
            data["severity"] = severity
        data.setdefault("timestamp", float(timestamp))
        if delivery_id:
            data["id"] = delivery_id
        elif not isinstance(data.get("id"), str):
            seed = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
            data["id"] = seed[:22]
        stamp = str(int(timestamp))
        token = hashlib.sha256(f"{stamp}:{data['id']}:{topic}".encode()).hexdigest()[:50]
        digest = hmac_digest("sha256", self._secrets.values[secret_index], (stamp + token).encode())
        signature = {"timestamp": stamp, "token": token, "signature": digest.hex()}
        body = json.dumps({"signature": signature, "event-data": data}, separators=(",", ":")).encode()
        return HttpRequest.outgoing("POST", url, {"content-type": "application/json"}, body)


def _topic(payload: Any, data: Mapping[str, Any] | None) -> tuple[str, tuple[str, ...]]:
    """The event (``event-data.event``, or a legacy top-level ``event``); a failure with a
    severity is ``failed.<severity>``, alias ``failed``."""
    event = lookup(data, "event") if data is not None else lookup(payload, "event")
    if not isinstance(event, str) or not event:
        raise PayloadError("neither event-data.event nor event names the event", reason="missing_topic")
    severity = lookup(data, "severity") if data is not None else None
    if event == "failed" and isinstance(severity, str) and severity:
        return f"failed.{severity}", ("failed",)
    return event, ()
