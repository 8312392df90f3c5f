"""Meta (WhatsApp Cloud API, Messenger, Instagram, Graph webhooks): ``X-Hub-Signature-256``.

POSTs carry ``X-Hub-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the raw body under the
App Secret (Meta also sends the SHA-1 ``X-Hub-Signature``, which is not checked). The
subscription check is a GET with ``hub.mode=subscribe``, ``hub.verify_token`` (a token you chose,
not the App Secret) and ``hub.challenge``, answered with the challenge once the token matches.

Topics: the body's ``object`` (``whatsapp_business_account``, ``page``, ``instagram`` ...) and the
first entry's change ``field`` (``whatsapp_business_account.messages``), with the bare object as
an alias; Messenger's ``entry[].messaging[]`` gives ``page.messaging``. Deliveries are batched and
carry no delivery id: a batch holding exactly one message or status uses its id (``wamid...``,
statuses as ``wamid...:delivered``), anything else is deduplicated by a hash of the body.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest, Reply
from hookreceiver.core.signing import HmacHeader, Secrets, verify_token
from hookreceiver.exceptions import PayloadError, SignatureError
from hookreceiver.providers.base import BaseProvider, Identity, lookup
from hookreceiver.providers.common import refined_topic

__all__ = ["Meta"]

SIGNATURE = HmacHeader("X-Hub-Signature-256", prefix="sha256=")
# Sent beside it, not checked.
SIGNATURE_SHA1 = HmacHeader("X-Hub-Signature", algorithm="sha1", prefix="sha1=")


def _entries(payload: Any) -> list[dict[str, Any]]:
    entries = payload.get("entry") if isinstance(payload, dict) else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _items(entry: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = entry.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _message_ids(payload: Any) -> list[str]:
    """Every message and status id in a batch (WhatsApp ``wamid``, Messenger ``mid``)."""
    found: list[str] = []
    for entry in _entries(payload):
        for change in _items(entry, "changes"):
            value: dict[str, Any] = change["value"] if isinstance(change.get("value"), dict) else {}
            found += [m["id"] for m in _items(value, "messages") if isinstance(m.get("id"), str)]
            found += [
                f"{s['id']}:{s.get('status', '')}"
                for s in _items(value, "statuses")
                if isinstance(s.get("id"), str)
            ]
        for event in _items(entry, "messaging"):
            mid = lookup(event, "message.mid")
            if isinstance(mid, str):
                found.append(mid)
    return found


def _field(entry: dict[str, Any]) -> Any:
    """What an entry is about: its first change's ``field``, or ``messaging`` for Messenger."""
    field = lookup(entry, "changes.0.field")
    if not isinstance(field, str) and _items(entry, "messaging"):
        return "messaging"
    return field


def _meta(first: dict[str, Any], entries: int) -> dict[str, str]:
    """The first entry's id and phone number id (those that are text), and the entry count."""
    found = {
        "entry_id": lookup(first, "id"),
        "phone_number_id": lookup(first, "changes.0.value.metadata.phone_number_id"),
        "entries": str(entries),
    }
    return {k: str(v) for k, v in found.items() if isinstance(v, str | int) and v}


class Meta(BaseProvider):
    """Meta webhooks: ``secret`` is the App Secret (a list while rotating).

    ``verify_token`` is the token you typed into the dashboard for the GET subscription check;
    without one, GETs are refused (401).
    """

    name: ClassVar[str] = "meta"
    methods: frozenset[str] = frozenset({"GET", "POST"})

    def __init__(
        self,
        *,
        secret: str | bytes | Iterable[str | bytes],
        verify_token: str | bytes | Iterable[str | bytes] | None = None,
        formats: Iterable[Format] = ("json",),
    ) -> None:
        self._secrets = Secrets(secret)
        self._verify_tokens = Secrets(verify_token) if verify_token is not None else None
        self.formats = frozenset(formats)

    def __repr__(self) -> str:
        tokens = len(self._verify_tokens) if self._verify_tokens else 0
        return f"Meta(secrets={self._secrets!r}, verify_tokens={tokens})"

    def verify(self, request: HttpRequest, *, now: float) -> int:
        if request.method != "GET":
            return SIGNATURE.verify(request.body, request.header(SIGNATURE.header), self._secrets)
        if self._verify_tokens is None:
            raise SignatureError(
                "a subscription check (GET), but no verify_token is configured", reason="bad_token"
            )
        if request.query.get("hub.mode") != "subscribe":
            raise SignatureError("a GET without hub.mode=subscribe", reason="bad_token")
        return verify_token(
            request.query.get("hub.verify_token"), secrets=self._verify_tokens, header="hub.verify_token"
        )

    def handshake(self, request: HttpRequest, payload: Any) -> Reply | None:
        if request.method != "GET":
            return None
        challenge = request.query.get("hub.challenge")
        if not challenge:
            raise PayloadError("a subscription check without hub.challenge", reason="missing_challenge")
        return Reply.text(challenge)

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        kind = payload.get("object") if isinstance(payload, dict) else None
        if not isinstance(kind, str) or not kind:
            raise PayloadError("the body has no 'object'", reason="missing_topic")
        entries = _entries(payload)
        first = entries[0] if entries else {}
        topic, aliases = refined_topic(kind, _field(first))
        ids = _message_ids(payload)
        return Identity(
            topic=topic,
            aliases=aliases,
            delivery_id=ids[0] if len(ids) == 1 else None,
            meta=_meta(first, len(entries)),
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
        """The POST Meta would send: ``topic`` sets ``object`` and every change's ``field``;
        ``delivery_id`` becomes the id of the batch's first message (or status)."""
        body_value: dict[str, Any] = json.loads(json.dumps(payload)) if isinstance(payload, dict) else {}
        kind, _, field = topic.partition(".")
        body_value["object"] = kind
        entries = _entries(body_value)
        if not entries:
            body_value["entry"] = entries = [{"id": "0", "time": int(timestamp), "changes": []}]
        for entry in entries:
            changes = _items(entry, "changes")
            if field and field != "messaging" and not changes:
                entry["changes"] = changes = [{"value": {}}]
            for change in changes:
                if field:
                    change["field"] = field
        if delivery_id:
            value = lookup(body_value, "entry.0.changes.0.value")
            targets = [*_items(value, "messages"), *_items(value, "statuses")] if value else []
            if targets:
                targets[0]["id"] = delivery_id
        # Meta escapes non-ASCII characters (\u00e4): ensure_ascii gives the same bytes.
        body = json.dumps(body_value, separators=(",", ":")).encode()
        key = self._secrets.values[secret_index]
        headers = {
            "content-type": "application/json",
            SIGNATURE.header: SIGNATURE.value(key, body),
            SIGNATURE_SHA1.header: SIGNATURE_SHA1.value(key, body),
        }
        return HttpRequest.outgoing("POST", url, headers, body)
