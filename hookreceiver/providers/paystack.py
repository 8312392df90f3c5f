"""Paystack: ``x-paystack-signature`` = hex HMAC-**SHA512** of the raw body under the secret key.

The key is the account's secret API key (``sk_live_...``/``sk_test_...``): Paystack has no
separate webhook secret. The topic is the body's ``event`` (``charge.success``). Paystack sends
no event id and signs no timestamp, so a delivery is deduplicated by a hash of its body (a retry
re-sends the same bytes).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import HmacHeader
from hookreceiver.exceptions import PayloadError
from hookreceiver.providers.base import Identity, lookup
from hookreceiver.providers.shared_secret import BodyHmacProvider

__all__ = ["Paystack"]


class Paystack(BodyHmacProvider):
    """Paystack events; ``secret`` is the secret API key (a list while you rotate it)."""

    name: ClassVar[str] = "paystack"
    formats: frozenset[Format] = frozenset({"json"})
    signature: ClassVar[HmacHeader] = HmacHeader("x-paystack-signature", algorithm="sha512")

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        topic = payload.get("event") if isinstance(payload, dict) else None
        if not isinstance(topic, str) or not topic:
            raise PayloadError("the event has no 'event'", reason="missing_topic")
        meta = {}
        for key, path in (("reference", "data.reference"), ("object_id", "data.id")):
            value = lookup(payload, path)
            if isinstance(value, str | int) and not isinstance(value, bool):
                meta[key] = str(value)
        return Identity(topic=topic, delivery_id=None, meta=meta)

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
        """The event Paystack would post: ``{"event": topic, "data": ...}``.

        Paystack carries no delivery id; a given ``delivery_id`` goes into ``data.reference``
        (so a fresh id makes a new body, hence a new delivery)."""
        event: dict[str, Any] = dict(payload) if isinstance(payload, dict) else {"data": payload}
        event["event"] = topic
        if delivery_id:
            data = event.get("data")
            event["data"] = {**(data if isinstance(data, dict) else {}), "reference": delivery_id}
        body = json.dumps(event, separators=(",", ":")).encode()
        headers = {
            "content-type": "application/json",
            self.signature.header: self.signature_value(body, secret_index),
        }
        return HttpRequest.outgoing("POST", url, headers, body)
