"""GitHub: ``X-Hub-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the raw body.

The body is JSON, or a form whose one field ``payload`` holds the JSON; the signature covers the
bytes as sent either way. The topic is ``X-GitHub-Event``, refined by the body's ``action``
(``pull_request.opened``) with the bare event as an alias, so handlers for either pattern run.
GitHub signs no timestamp: dedupe on ``X-GitHub-Delivery`` is the replay defence.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import HmacHeader
from hookreceiver.exceptions import PayloadError, SignatureError
from hookreceiver.providers.base import Identity, lookup
from hookreceiver.providers.common import refined_topic
from hookreceiver.providers.shared_secret import SharedSecretProvider

__all__ = ["GitHub"]

SIGNATURE_256 = HmacHeader("x-hub-signature-256", prefix="sha256=")
SIGNATURE_SHA1 = HmacHeader("x-hub-signature", algorithm="sha1", prefix="sha1=")
EVENT = "x-github-event"
DELIVERY = "x-github-delivery"
_META_HEADERS = {
    "hook_id": "x-github-hook-id",
    "installation_target_type": "x-github-hook-installation-target-type",
    "installation_target_id": "x-github-hook-installation-target-id",
    "enterprise_host": "x-github-enterprise-host",
    "enterprise_version": "x-github-enterprise-version",
}
_META_BODY = {
    "hook_id": "hook_id",
    "installation_id": "installation.id",
    "repository": "repository.full_name",
    "sender": "sender.login",
}


class GitHub(SharedSecretProvider):
    """GitHub (and GitHub Enterprise Server) webhooks.

    ``legacy_sha1=True`` also accepts the SHA-1 ``X-Hub-Signature`` when no SHA-256 header is
    sent (very old GHES); leave it off otherwise.
    """

    name: ClassVar[str] = "github"
    formats: frozenset[Format] = frozenset({"json", "form"})
    signature: ClassVar[HmacHeader] = SIGNATURE_256

    def __init__(self, *, secret: str | bytes | Iterable[str | bytes], legacy_sha1: bool = False) -> None:
        super().__init__(secret=secret)
        self.legacy_sha1 = legacy_sha1

    def __repr__(self) -> str:
        return f"GitHub(secrets={len(self._secrets)}, legacy_sha1={self.legacy_sha1})"

    def verify(self, request: HttpRequest, *, now: float) -> int:
        if request.header(SIGNATURE_256.header) is not None or not self.legacy_sha1:
            return self.check_signature(request, request.body)
        legacy = request.header(SIGNATURE_SHA1.header)
        if legacy is None:
            raise SignatureError(
                f"missing {SIGNATURE_256.name} (or legacy {SIGNATURE_SHA1.name})", reason="missing_signature"
            )
        return SIGNATURE_SHA1.verify(request.body, legacy, self._secrets)

    def peek_delivery_id(self, request: HttpRequest) -> str | None:
        """``X-GitHub-Delivery`` as sent, unverified (for rejection log lines)."""
        return request.header(DELIVERY) or None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        event = (request.header(EVENT) or "").strip()
        if not event:
            raise PayloadError(f"missing {EVENT} header", reason="missing_topic")
        action = payload.get("action") if isinstance(payload, dict) else None
        topic, aliases = refined_topic(event, action)
        meta: dict[str, str] = {}
        for key, path in _META_BODY.items():
            value = lookup(payload, path)
            if isinstance(value, str | int) and not isinstance(value, bool):
                meta[key] = str(value)
        for key, header in _META_HEADERS.items():
            value = request.header(header)
            if value:
                meta[key] = value
        return Identity(topic=topic, delivery_id=request.header(DELIVERY) or None, aliases=aliases, meta=meta)

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
        """Build GitHub's JSON delivery: ``pull_request.opened`` sets the event and ``action``."""
        event, _, action = topic.partition(".")
        body_value = dict(payload) if isinstance(payload, dict) else {"value": payload}
        if action:
            body_value["action"] = action
        body = json.dumps(body_value, separators=(",", ":")).encode()
        if not delivery_id:
            seed = hashlib.sha256(f"{topic}:{timestamp}:".encode() + body).digest()
            delivery_id = str(uuid.UUID(bytes=seed[:16], version=4))
        key = self._secrets.values[secret_index]
        headers = {
            "content-type": "application/json",
            "user-agent": "GitHub-Hookshot/hookreceiver",
            EVENT: event,
            DELIVERY: delivery_id,
            SIGNATURE_256.header: SIGNATURE_256.value(key, body),
        }
        if self.legacy_sha1:
            headers[SIGNATURE_SHA1.header] = SIGNATURE_SHA1.value(key, body)
        return HttpRequest.outgoing("POST", url, headers, body)
