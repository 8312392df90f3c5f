"""Standard Webhooks (https://www.standardwebhooks.com) and Svix, which sends the same scheme.

The sender signs ``"{webhook-id}.{webhook-timestamp}.{raw body}"`` with HMAC-SHA256 and sends
``webhook-signature: v1,<base64>``, several entries separated by spaces while it rotates keys.
Svix uses the names ``svix-id``, ``svix-timestamp`` and ``svix-signature``; both families are
accepted by both classes. Secrets look like ``whsec_<base64>``: the prefix is dropped and the rest
base64-decoded to get the key (unlike Stripe, which uses its ``whsec_`` string as it is).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets as random
from collections.abc import Iterable
from typing import Any, ClassVar
from urllib.parse import urlsplit

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import (
    Secrets,
    check_timestamp,
    encode_digest,
    hmac_digest,
    parse_timestamp,
    verify_digest,
)
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError
from hookreceiver.providers.base import BaseProvider, Identity, lookup

__all__ = ["StandardWebhooks", "Svix", "decode_secret"]

_PREFIX = "whsec_"


def decode_secret(secret: str | bytes) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret (the prefix is optional); bytes are the key."""
    if isinstance(secret, bytes):
        return secret
    text = secret.strip().removeprefix(_PREFIX)
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        # Never echo the secret: say what is wrong with it, not what it is.
        raise ConfigurationError("a Standard Webhooks secret must be whsec_ followed by base64") from None
    if not key:
        raise ConfigurationError("a Standard Webhooks secret must not be empty")
    return key


def _signatures(header: str) -> list[bytes]:
    """The decoded ``v1`` signatures of a ``webhook-signature`` header; other versions are skipped."""
    found: list[bytes] = []
    for entry in header.split():
        version, sep, value = entry.partition(",")
        if not sep or version != "v1":
            continue
        try:
            found.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue  # a malformed entry cannot match; another one may
    return found


class StandardWebhooks(BaseProvider):
    """Standard Webhooks: ``webhook-*`` headers (``svix-*`` accepted), ``whsec_`` secrets, ±300 s.

    ``topic`` is the dotted path of the body field that names the event (the spec's ``type``).
    ``tolerance`` is the replay window in seconds, both ways; 0 turns it off.
    """

    name: ClassVar[str] = "standard-webhooks"
    header_prefix: ClassVar[str] = "webhook-"

    def __init__(
        self,
        *,
        secret: str | bytes | Iterable[str | bytes],
        tolerance: float = 300.0,
        topic: str = "type",
        formats: Iterable[Format] = ("json",),
    ) -> None:
        items = [secret] if isinstance(secret, str | bytes) else list(secret)
        self._secrets = Secrets([decode_secret(item) for item in items])
        self.tolerance = tolerance
        self.topic = topic
        self.formats = frozenset(formats)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(secrets={self._secrets!r}, tolerance={self.tolerance!r}, "
                f"topic={self.topic!r})")

    def _headers(self, request: HttpRequest) -> tuple[str | None, str | None, str | None]:
        """id, timestamp and signature, from the ``webhook-*`` family, else the ``svix-*`` one."""
        family = "webhook-" if request.header("webhook-signature") is not None else "svix-"
        return (request.header(family + "id"), request.header(family + "timestamp"),
                request.header(family + "signature"))

    def verify(self, request: HttpRequest, *, now: float) -> int:
        msg_id, stamp, header = self._headers(request)
        if not header:
            raise SignatureError("missing webhook-signature (or svix-signature)",
                                 reason="missing_signature")
        if not msg_id:
            raise SignatureError("missing webhook-id (or svix-id)", reason="missing_id")
        sent = parse_timestamp(stamp, header="webhook-timestamp")
        signatures = _signatures(header)
        if not signatures:
            raise SignatureError("webhook-signature holds no v1 signature")
        message = f"{msg_id}.{stamp}.".encode() + request.body
        index = verify_digest(message, signatures, secrets=self._secrets, algorithm="sha256")
        # The window is checked after the signature, so only a genuine request learns about it.
        check_timestamp(sent, now=now, tolerance=self.tolerance)
        return index

    def peek_delivery_id(self, request: HttpRequest) -> str | None:
        """``webhook-id`` (or ``svix-id``) as sent, unverified (for rejection log lines)."""
        return request.header("webhook-id") or request.header("svix-id") or None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        topic = lookup(payload, self.topic)
        if not isinstance(topic, str) or not topic:
            raise PayloadError(f"the body has no string field {self.topic!r}", reason="missing_topic")
        msg_id, stamp, _ = self._headers(request)
        return Identity(topic=topic, delivery_id=msg_id, sent_at=float(stamp) if stamp else None)

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
        """The JSON request a Standard Webhooks sender would post, signed with one secret."""
        payload = json.loads(json.dumps(payload))  # a copy we may write into
        if isinstance(payload, dict):
            *parents, leaf = self.topic.split(".")
            node = payload
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = topic
        body = json.dumps(payload, separators=(",", ":")).encode()
        msg_id = delivery_id or f"msg_{random.token_urlsafe(18)}"
        stamp = str(int(timestamp))
        digest = hmac_digest("sha256", self._secrets.values[secret_index],
                             f"{msg_id}.{stamp}.".encode() + body)
        p = self.header_prefix
        headers = {
            "content-type": "application/json",
            f"{p}id": msg_id,
            f"{p}timestamp": stamp,
            f"{p}signature": "v1," + encode_digest(digest, "base64"),
        }
        parts = urlsplit(url)
        return HttpRequest("POST", url, parts.path or "/", headers, parts.query, body)


class Svix(StandardWebhooks):
    """Svix: the Standard Webhooks scheme under ``svix-*`` header names (both are accepted)."""

    name: ClassVar[str] = "svix"
    header_prefix: ClassVar[str] = "svix-"
