"""GitLab: the webhook's secret token arrives verbatim in ``X-Gitlab-Token`` (there is no HMAC).

Topics: the body's ``object_kind`` (``push``, ``merge_request``, ``issue``, ``note``,
``pipeline``, ``build`` ...); system hooks without one use ``event_name``; failing both, the
``X-Gitlab-Event`` header in snake case (``Push Hook`` -> ``push``). When the object carries an
action (``object_attributes.action``, or a top-level ``action`` as in release events) the topic is
``kind.action`` (``merge_request.open``) and the bare kind is an alias, so a handler for
``merge_request`` sees every merge request event.

Delivery ids: ``Idempotency-Key`` (GitLab 17.4+), else ``X-Gitlab-Event-UUID:topic``: the UUID
is shared by all the hooks one action triggers, so alone it would drop all but the first.

The newer *signing token* (``signing_token=``, a ``whsec_`` secret) signs each request the
Standard Webhooks way: ``webhook-signature: v1,<base64>`` HMAC-SHA256 over
``"{webhook-id}.{webhook-timestamp}.{body}"``, ``webhook-id`` being the ``Idempotency-Key``.
With one configured the signature is required (and its ±300 s window applies); a configured
secret token is then checked as well.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import Secrets, verify_token
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError
from hookreceiver.providers.base import BaseProvider, Identity, lookup
from hookreceiver.providers.common import refined_topic
from hookreceiver.providers.standard import StandardWebhooks

__all__ = ["GitLab", "event_header"]

# object_kind -> X-Gitlab-Event where the header is not simply the kind in title case + " Hook".
_HEADERS = {
    "build": "Job Hook",
    "wiki_page": "Wiki Page Hook",
    "tag_push": "Tag Push Hook",
    "merge_request": "Merge Request Hook",
}


def event_header(kind: str) -> str:
    """The ``X-Gitlab-Event`` GitLab sends for an ``object_kind`` (``push`` -> ``Push Hook``)."""
    return _HEADERS.get(kind) or " ".join(w.capitalize() for w in kind.split("_")) + " Hook"


def _snake(header: str) -> str:
    words = header.strip().lower().split()
    if words and words[-1] == "hook":
        words = words[:-1]
    return "_".join(words)


def _delivery_id(request: HttpRequest, topic: str) -> str | None:
    """``Idempotency-Key``, else the event UUID with the topic: every hook one action triggers
    (a merge: merge_request and push) shares the event UUID."""
    event_uuid = request.header("x-gitlab-event-uuid")
    return request.header("idempotency-key") or (f"{event_uuid}:{topic}" if event_uuid else None)


class GitLab(BaseProvider):
    """GitLab project, group and system hooks; the secret is the webhook's secret token.

    Several tokens may be configured while you rotate; each is compared in constant time.
    ``signing_token`` (one ``whsec_`` value, or a list) checks the HMAC signature GitLab adds
    when the webhook has a signing token; ``secret`` may then be left out. ``tolerance``
    applies to the signed ``webhook-timestamp``. The index ``verify`` reports is the signing
    token's when one is configured, else the secret token's.
    """

    name: ClassVar[str] = "gitlab"
    secret_headers: frozenset[str] = frozenset({"x-gitlab-token"})  # kept out of stored deliveries

    def __init__(
        self,
        *,
        secret: str | bytes | Iterable[str | bytes] | None = None,
        signing_token: str | bytes | Iterable[str | bytes] | None = None,
        tolerance: float = 300.0,
        formats: Iterable[Format] = ("json",),
    ) -> None:
        if secret is None and signing_token is None:
            raise ConfigurationError("GitLab needs a secret token (secret=) or a signing_token")
        self._secrets = Secrets(secret) if secret is not None else None
        self._signed = (
            StandardWebhooks(secret=signing_token, tolerance=tolerance, formats=formats)
            if signing_token is not None
            else None
        )
        self.formats = frozenset(formats)

    def __repr__(self) -> str:
        signing = ", signing_token=<hidden>" if self._signed is not None else ""
        return f"GitLab(secrets={self._secrets!r}{signing})"

    def verify(self, request: HttpRequest, *, now: float) -> int:
        index = None
        if self._signed is not None:
            if request.header("webhook-signature") is None:
                raise SignatureError(
                    "missing webhook-signature (this endpoint has a signing token)",
                    reason="missing_signature",
                )
            index = self._signed.verify(request, now=now)
        if self._secrets is not None:
            token_index = verify_token(
                request.header("x-gitlab-token"), secrets=self._secrets, header="X-Gitlab-Token"
            )
            index = token_index if index is None else index
        assert index is not None
        return index

    def peek_delivery_id(self, request: HttpRequest) -> str | None:
        """``Idempotency-Key``, else the bare event UUID (the topic the real id adds is in the
        body), as sent and unverified: for rejection log lines only."""
        return request.header("idempotency-key") or request.header("x-gitlab-event-uuid") or None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        header = request.header("x-gitlab-event") or ""
        kind = lookup(payload, "object_kind") or lookup(payload, "event_name") or _snake(header)
        if not isinstance(kind, str) or not kind:
            raise PayloadError(
                "neither object_kind nor X-Gitlab-Event names the event", reason="missing_topic"
            )
        action = lookup(payload, "object_attributes.action") or lookup(payload, "action")
        topic, aliases = refined_topic(kind, action)
        extras = {
            "event": header,
            "instance": request.header("x-gitlab-instance"),
            "webhook_uuid": request.header("x-gitlab-webhook-uuid"),
            "event_uuid": request.header("x-gitlab-event-uuid"),
        }
        meta = {k: v for k, v in extras.items() if v}
        return Identity(topic=topic, delivery_id=_delivery_id(request, topic), aliases=aliases, meta=meta)

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
        """The JSON request GitLab would send: ``topic`` is ``kind`` or ``kind.action``."""
        payload = json.loads(json.dumps(payload)) if isinstance(payload, dict) else {}
        kind, _, action = topic.partition(".")
        payload["object_kind"] = kind
        if action:
            attributes = payload.setdefault("object_attributes", {})
            if isinstance(attributes, dict):
                attributes["action"] = action
        idempotency_key = delivery_id or str(uuid.uuid4())
        headers = {
            "content-type": "application/json",
            "x-gitlab-event": event_header(kind),
            "idempotency-key": idempotency_key,
            "x-gitlab-event-uuid": str(uuid.uuid4()),
            "x-gitlab-webhook-uuid": str(uuid.uuid4()),
        }
        body = json.dumps(payload, separators=(",", ":")).encode()
        if self._secrets is not None:
            index = secret_index if self._signed is None else 0
            headers["x-gitlab-token"] = self._secrets.values[index].decode("latin-1")
        if self._signed is not None:
            headers |= self._signed.signature_headers(idempotency_key, timestamp, body, secret_index)
        return HttpRequest.outgoing("POST", url, headers, body)
