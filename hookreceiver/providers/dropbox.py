"""Dropbox: a GET ``challenge`` to echo, then POSTs signed with ``X-Dropbox-Signature``.

The endpoint check is an unsigned GET ``?challenge=<random>``, answered with the challenge as
``text/plain`` and ``X-Content-Type-Options: nosniff`` (so a browser never renders it). A
notification is a POST whose ``X-Dropbox-Signature`` is the hex HMAC-SHA256 of the raw body
under the app secret.

A notification only says *whose* files changed (``{"list_folder": {"accounts": [...]}}``, or
``list_team_folder`` and friends for teams); the receiver then asks Dropbox what changed.
The same accounts give the same body every time, so deduplicating by content would drop real
changes: every POST is a new delivery (a fresh id), and handlers must fetch changes
idempotently (with a stored cursor), which also makes a replayed notification harmless.
The topic is the body's first key (``list_folder``).
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest, Reply
from hookreceiver.core.signing import HmacHeader
from hookreceiver.exceptions import PayloadError
from hookreceiver.providers.base import Identity, lookup
from hookreceiver.providers.common import event_dict, json_bytes
from hookreceiver.providers.shared_secret import SharedSecretProvider

__all__ = ["Dropbox"]

MAX_CHALLENGE = 1024


class Dropbox(SharedSecretProvider):
    """Dropbox app webhooks; ``secret`` is the app secret (a list while rotating)."""

    name: ClassVar[str] = "dropbox"
    methods: frozenset[str] = frozenset({"GET", "POST"})
    formats: frozenset[Format] = frozenset({"json"})
    signature: ClassVar[HmacHeader] = HmacHeader("X-Dropbox-Signature")

    def verify(self, request: HttpRequest, *, now: float) -> int | None:
        if request.method == "GET":
            return None  # Dropbox signs no challenge: it is echoed, never acted on
        return self.check_signature(request, request.body)

    def handshake(self, request: HttpRequest, payload: Any) -> Reply | None:
        if request.method != "GET":
            return None
        challenge = request.query.get("challenge")
        if not challenge or len(challenge) > MAX_CHALLENGE:
            raise PayloadError(
                "a verification request without a usable challenge", reason="missing_challenge"
            )
        return Reply(
            challenge.encode(),
            content_type="text/plain",
            headers=(("x-content-type-options", "nosniff"),),
        )

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        keys = [k for k in payload if isinstance(payload.get(k), dict)] if isinstance(payload, dict) else []
        if not keys:
            raise PayloadError("the notification names no change list", reason="missing_topic")
        topic = "list_folder" if "list_folder" in keys else keys[0]
        accounts = lookup(payload, f"{topic}.accounts")
        meta = {"accounts": str(len(accounts))} if isinstance(accounts, list) else {}
        return Identity(topic=topic, delivery_id=f"dropbox:{uuid.uuid4().hex}", meta=meta)

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
        """The notification Dropbox would post: ``payload`` is the ``topic`` object
        (``{"accounts": [...]}``), or a list of account ids. Dropbox sends no id, so
        ``delivery_id`` is unused."""
        inner: Any = {"accounts": payload} if isinstance(payload, list) else event_dict(payload, "accounts")
        body_value: dict[str, Any] = {topic: inner}
        if topic == "list_folder" and isinstance(inner.get("accounts"), list):
            body_value["delta"] = {"users": []}  # the legacy field Dropbox still sends beside it
        body = json_bytes(body_value)
        headers = {
            "content-type": "application/json",
            "user-agent": "DropboxWebhooks/1.0",
            self.signature.header: self.signature_value(body, secret_index),
        }
        return HttpRequest.outgoing("POST", url, headers, body)
