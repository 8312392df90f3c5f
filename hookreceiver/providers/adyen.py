"""Adyen standard notifications: a batch of ``NotificationRequestItem``s, each signed on its own.

Each item carries ``additionalData.hmacSignature``: base64 HMAC-SHA256, keyed with the **hex-decoded**
HMAC key from the Customer Area, over eight of its fields joined with ``:``: ``pspReference``,
``originalReference``, ``merchantAccountCode``, ``merchantReference``, ``amount.value``,
``amount.currency``, ``eventCode``, ``success`` (a missing or null field is empty). The body bytes
themselves are not signed, so the whole body is parsed first; every item must verify, or the POST
is refused (Adyen then retries the batch).

One POST is several deliveries (``split``): each item is its own, with the topic ``eventCode``
(``AUTHORISATION``) and the delivery id ``pspReference:eventCode:success``, which Adyen repeats
when it resends. Adyen wants the body ``[accepted]`` once the batch is stored.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format, decode_body
from hookreceiver.core.delivery import Delivery, HttpRequest, Reply
from hookreceiver.core.signing import Secrets, decode_signature, hmac_digest, match_secret
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError
from hookreceiver.providers.base import BaseProvider, Identity

__all__ = ["Adyen", "signing_string"]

SIGNED_FIELDS = (
    "pspReference",
    "originalReference",
    "merchantAccountCode",
    "merchantReference",
    "value",
    "currency",
    "eventCode",
    "success",
)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def signing_string(item: dict[str, Any]) -> str:
    """The text an item's ``hmacSignature`` covers."""
    amount = item.get("amount")
    amount = amount if isinstance(amount, dict) else {}
    fields = {**item, "value": amount.get("value"), "currency": amount.get("currency")}
    return ":".join(_text(fields.get(name)) for name in SIGNED_FIELDS)


def _hex_key(value: str | bytes) -> bytes:
    try:
        return bytes.fromhex(value.decode("ascii") if isinstance(value, bytes) else value)
    except (ValueError, UnicodeDecodeError):
        raise ConfigurationError("an Adyen HMAC key is hex text, as the Customer Area shows it") from None


def _items(payload: Any) -> list[dict[str, Any]]:
    """The batch's items. A body of another shape carries no ``hmacSignature`` anywhere, so it is
    refused as unsigned (401 ``missing_signature``), as every provider refuses an unsigned request."""
    entries = payload.get("notificationItems") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        raise SignatureError(
            "not an Adyen notification batch (no 'notificationItems' list): nothing is signed",
            reason="missing_signature",
        )
    items = [e.get("NotificationRequestItem") if isinstance(e, dict) else None for e in entries]
    if not all(isinstance(item, dict) for item in items):
        raise SignatureError(
            "a notification item is not an object, so it carries no hmacSignature",
            reason="missing_signature",
        )
    return [item for item in items if isinstance(item, dict)]


class Adyen(BaseProvider):
    """Adyen webhooks (standard notifications, JSON); ``secret`` is the hex HMAC key (a list while
    rotating)."""

    name: ClassVar[str] = "adyen"
    formats: frozenset[Format] = frozenset({"json"})

    def __init__(self, *, secret: str | bytes | Iterable[str | bytes]) -> None:
        values = [secret] if isinstance(secret, str | bytes) else list(secret)
        self._secrets = Secrets([_hex_key(value) for value in values])

    def __repr__(self) -> str:
        return f"Adyen(secrets={len(self._secrets)})"

    def verify(self, request: HttpRequest, *, now: float) -> int:
        items = _items(decode_body(request.body, request.content_type, accept=self.formats))
        if not items:
            raise PayloadError("the batch holds no items", reason="empty_batch")
        indexes = [self._verify_item(item) for item in items]
        return indexes[0]

    def _verify_item(self, item: dict[str, Any]) -> int:
        extra = item.get("additionalData")
        text = extra.get("hmacSignature") if isinstance(extra, dict) else None
        if not isinstance(text, str) or not text:
            raise SignatureError(
                "a notification item has no additionalData.hmacSignature", reason="missing_signature"
            )
        signature = decode_signature(text.strip(), "base64")
        message = signing_string(item).encode()
        return match_secret(
            self._secrets,
            lambda key: (hmac_digest("sha256", key, message),),
            (signature,),
            detail="hmacSignature does not match any configured key",
        )

    def split(self, request: HttpRequest, payload: Any) -> Sequence[Any]:
        return _items(payload)

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        topic = payload.get("eventCode") if isinstance(payload, dict) else None
        if not isinstance(topic, str) or not topic:
            raise PayloadError("a notification item has no 'eventCode'", reason="missing_topic")
        psp = payload.get("pspReference")
        meta = {
            k: _text(payload[k])
            for k in ("merchantAccountCode", "merchantReference", "originalReference", "success")
            if payload.get(k)
        }
        return Identity(
            topic=topic,
            meta=meta,
            delivery_id=f"{psp}:{topic}:{_text(payload.get('success'))}"
            if isinstance(psp, str) and psp
            else None,
        )

    def ack(self, delivery: Delivery, reply: Reply | None) -> Reply | None:
        """``[accepted]``, the body Adyen expects (an inline handler's reply is ignored)."""
        return Reply.text("[accepted]")

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
        """A one-item batch as Adyen would post it: ``payload`` is the item, ``topic`` its
        ``eventCode``, ``delivery_id`` (``psp`` or ``psp:code:success``) its ``pspReference``.
        A payload with ``notificationItems`` is a whole batch: each item is signed as it is."""
        key = self._secrets.values[secret_index]
        if isinstance(payload, dict) and isinstance(payload.get("notificationItems"), list):
            batch = json.loads(json.dumps(payload))
            items = _items(batch)
        else:
            item = dict(payload) if isinstance(payload, dict) else {}
            item["eventCode"] = topic
            if delivery_id:
                item["pspReference"] = delivery_id.split(":")[0]
            elif not isinstance(item.get("pspReference"), str):
                seed = hashlib.sha256(json.dumps(item, sort_keys=True).encode()).digest()
                item["pspReference"] = str(int.from_bytes(seed[:8]) % 10**16).zfill(16)
            item.setdefault("success", "true")
            items = [item]
            batch = {"live": "false", "notificationItems": [{"NotificationRequestItem": item}]}
        for item in items:
            extra = item.get("additionalData")
            item["additionalData"] = dict(extra) if isinstance(extra, dict) else {}
            digest = hmac_digest("sha256", key, signing_string(item).encode())
            item["additionalData"]["hmacSignature"] = base64.b64encode(digest).decode()
        body = json.dumps(batch, separators=(",", ":")).encode()
        return HttpRequest.outgoing("POST", url, {"content-type": "application/json"}, body)
