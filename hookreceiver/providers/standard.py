"""Standard Webhooks (https://www.standardwebhooks.com) and Svix, which sends the same scheme.

The sender signs ``"{webhook-id}.{webhook-timestamp}.{raw body}"`` with HMAC-SHA256 and sends
``webhook-signature: v1,<base64>``, several entries separated by spaces while it rotates keys.
Svix uses the names ``svix-id``, ``svix-timestamp`` and ``svix-signature``; both families are
accepted by both classes. Secrets look like ``whsec_<base64>``: the prefix is dropped and the rest
base64-decoded to get the key (unlike Stripe, which uses its ``whsec_`` string as it is).

The spec's asymmetric scheme, ``v1a``, signs the same content with Ed25519. Its keys are
``whpk_<base64 of the 32-byte public key>`` (what a receiver holds) and ``whsk_<base64 of the
32-byte seed>`` (the sender's; accepted here so tests and ``hookreceiver send`` can sign). One
endpoint may mix ``whsec_`` secrets and ``whpk_`` keys while a sender moves from one to the other;
each ``v1`` entry is checked against the HMAC secrets and each ``v1a`` entry against the keys.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets as random
from collections.abc import Iterable
from typing import Any, ClassVar

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
from hookreceiver.providers.asymmetric import Key, ed25519_private, ed25519_public
from hookreceiver.providers.base import BaseProvider, Identity, lookup

__all__ = ["StandardWebhooks", "Svix", "decode_key", "decode_secret"]

_PREFIX = "whsec_"
_PUBLIC, _PRIVATE = "whpk_", "whsk_"


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


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError("a whpk_/whsk_ key must be followed by base64") from None


def decode_key(secret: str | bytes) -> bytes | Key:
    """An HMAC key (``whsec_``, or bytes) or an Ed25519 key (``whpk_`` public, ``whsk_`` private)."""
    if isinstance(secret, str):
        text = secret.strip()
        if text.startswith(_PUBLIC):
            return ed25519_public(_b64(text.removeprefix(_PUBLIC)))
        if text.startswith(_PRIVATE):
            raw = _b64(text.removeprefix(_PRIVATE))
            key = ed25519_private(raw[:32]) if len(raw) in (32, 64) else None
            # A 64-byte form is seed + public key (libsodium's layout): the halves must agree.
            if key is None or (len(raw) == 64 and raw[32:] != key.public_raw()):
                raise ConfigurationError("a whsk_ key is a 32-byte Ed25519 seed (or seed + public key)")
            return key
    return decode_secret(secret)


def _signatures(header: str, version_wanted: str = "v1") -> list[bytes]:
    """The decoded signatures of one version (``v1`` or ``v1a``) in a ``webhook-signature`` header."""
    found: list[bytes] = []
    for entry in header.split():
        version, sep, value = entry.partition(",")
        if not sep or version != version_wanted:
            continue
        try:
            found.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue  # a malformed entry cannot match; another one may
    return found


class StandardWebhooks(BaseProvider):
    """Standard Webhooks: ``webhook-*`` headers (``svix-*`` accepted), ``whsec_`` secrets, ±300 s.

    ``secret`` items are ``whsec_`` HMAC secrets (``v1``) or ``whpk_`` Ed25519 public keys
    (``v1a``; a ``whsk_`` private key also signs), newest first, in any mix.

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
        decoded = [decode_key(item) for item in items]
        # Aligned with the configured list, so a match reports its position in it.
        self._hmac: list[bytes | None] = [d if isinstance(d, bytes) else None for d in decoded]
        self._keys: list[Key | None] = [d if isinstance(d, Key) else None for d in decoded]
        self._secrets = Secrets([d if isinstance(d, bytes) else d.public_raw() for d in decoded])
        self.tolerance = tolerance
        self.topic = topic
        self.formats = frozenset(formats)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(secrets={self._secrets!r}, tolerance={self.tolerance!r}, "
            f"topic={self.topic!r})"
        )

    def _headers(self, request: HttpRequest) -> tuple[str | None, str | None, str | None]:
        """id, timestamp and signature, from the ``webhook-*`` family, else the ``svix-*`` one."""
        family = "webhook-" if request.header("webhook-signature") is not None else "svix-"
        return (
            request.header(family + "id"),
            request.header(family + "timestamp"),
            request.header(family + "signature"),
        )

    def verify(self, request: HttpRequest, *, now: float) -> int:
        msg_id, stamp, header = self._headers(request)
        if not header:
            raise SignatureError("missing webhook-signature (or svix-signature)", reason="missing_signature")
        if not msg_id:
            raise SignatureError("missing webhook-id (or svix-id)", reason="missing_id")
        sent = parse_timestamp(stamp, header="webhook-timestamp")
        message = f"{msg_id}.{stamp}.".encode() + request.body
        index = self._match(message, header)
        # The window is checked after the signature, so only a genuine request learns about it.
        check_timestamp(sent, now=now, tolerance=self.tolerance)
        return index

    def _match(self, message: bytes, header: str) -> int:
        """The index of the first configured secret or key that a signature in ``header`` fits."""
        v1, v1a = self._offered(header)
        for index in range(len(self._hmac)):
            if self._fits(index, message, v1, v1a):
                return index
        raise SignatureError("signature does not match any configured secret or key")

    def _offered(self, header: str) -> tuple[list[bytes], list[bytes]]:
        """The ``v1`` and ``v1a`` signatures in ``header``, each read only if a configured
        secret (``v1``) or key (``v1a``) could check it; neither is a bad signature."""
        wanted = [v for v, used in (("v1", any(self._hmac)), ("v1a", any(self._keys))) if used]
        v1 = _signatures(header, "v1") if "v1" in wanted else []
        v1a = _signatures(header, "v1a") if "v1a" in wanted else []
        if not v1 and not v1a:
            raise SignatureError(f"webhook-signature holds no {' or '.join(wanted)} signature")
        return v1, v1a

    def _fits(self, index: int, message: bytes, v1: list[bytes], v1a: list[bytes]) -> bool:
        """Whether configured entry ``index`` (a secret or a key) signed ``message``."""
        secret, key = self._hmac[index], self._keys[index]
        if secret is not None and v1:
            try:
                verify_digest(message, v1, secrets=Secrets(secret), algorithm="sha256")
            except SignatureError:
                return False
            return True
        return key is not None and bool(v1a) and any([key.verify(sig, message) for sig in v1a])

    def signature_headers(
        self, msg_id: str, timestamp: float, body: bytes, secret_index: int = 0
    ) -> dict[str, str]:
        """The id, timestamp and signature headers a sender adds for ``body`` (GitLab's signing
        token uses them too): ``v1`` with a ``whsec_`` secret, ``v1a`` with a ``whsk_`` key."""
        stamp = str(int(timestamp))
        message = f"{msg_id}.{stamp}.".encode() + body
        secret, key = self._hmac[secret_index], self._keys[secret_index]
        if secret is not None:
            signature = "v1," + encode_digest(hmac_digest("sha256", secret, message), "base64")
        else:
            assert key is not None
            signature = "v1a," + encode_digest(key.sign(message), "base64")
        p = self.header_prefix
        return {f"{p}id": msg_id, f"{p}timestamp": stamp, f"{p}signature": signature}

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
        headers = {
            "content-type": "application/json",
            **self.signature_headers(msg_id, timestamp, body, secret_index),
        }
        return HttpRequest.outgoing("POST", url, headers, body)


class Svix(StandardWebhooks):
    """Svix: the Standard Webhooks scheme under ``svix-*`` header names (both are accepted)."""

    name: ClassVar[str] = "svix"
    header_prefix: ClassVar[str] = "svix-"
