"""Feishu / Lark event subscriptions: Verification Token, and with an Encrypt Key, AES bodies.

Two modes, as the developer console configures them:

* **Encrypt Key set** (use this): bodies are ``{"encrypt": "<base64>"}``, the base64 of a 16-byte
  IV and AES-256-CBC ciphertext (PKCS#7) under SHA-256(Encrypt Key). Events carry
  ``X-Lark-Signature`` = SHA-256 hex (plain, not HMAC) of ``timestamp + nonce + encrypt_key``
  followed by the raw body, with ``X-Lark-Request-Timestamp`` and ``-Nonce``. The
  ``url_verification`` challenge is sent unsigned but encrypted: decrypting it with the key and
  finding the Verification Token inside is its check, as in Lark's SDK. Plain bodies are refused.
* **No Encrypt Key**: the only check is the Verification Token inside the JSON body (v2
  ``header.token``, v1 ``token``). It does not cover the rest of the body: use HTTPS.

Topics: v2 (``"schema": "2.0"``) ``header.event_type`` (``im.message.receive_v1``), v1
``event.type``. Delivery ids: v2 ``header.event_id``, v1 ``uuid``. ``url_verification`` is
answered ``{"challenge": ...}``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets as random
from collections.abc import Iterable
from typing import Any, ClassVar

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from hookreceiver.core.decoding import Format, decode_body, decode_json
from hookreceiver.core.delivery import HttpRequest, Reply
from hookreceiver.core.signing import (
    Secrets,
    check_timestamp,
    constant_time_equal,
    parse_timestamp,
    verify_token,
)
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError
from hookreceiver.providers.base import BaseProvider, Identity, lookup

__all__ = ["Feishu", "Lark", "decrypt", "encrypt", "signature"]

SIGNATURE = "x-lark-signature"
TIMESTAMP = "x-lark-request-timestamp"
NONCE = "x-lark-request-nonce"
URL_VERIFICATION = "url_verification"
# An encrypted body is one small JSON object around base64: anything larger is refused before
# it is decrypted (decryption runs before the token inside can be checked).
MAX_ENCRYPTED_BODY = 1024 * 1024


def _cipher(encrypt_key: bytes, iv: bytes) -> Cipher[modes.CBC]:
    return Cipher(algorithms.AES(hashlib.sha256(encrypt_key).digest()), modes.CBC(iv))


def encrypt(plaintext: bytes, encrypt_key: bytes, *, iv: bytes | None = None) -> str:
    """The ``encrypt`` value for ``plaintext``; ``iv`` is fixed only by tests."""
    iv = os.urandom(16) if iv is None else iv
    pad = 16 - len(plaintext) % 16
    encryptor = _cipher(encrypt_key, iv).encryptor()
    data = encryptor.update(plaintext + bytes([pad]) * pad) + encryptor.finalize()
    return base64.b64encode(iv + data).decode()


def decrypt(value: str, encrypt_key: bytes) -> bytes:
    """The plaintext of an ``encrypt`` value; anything that does not decrypt is a SignatureError
    (only a holder of the Encrypt Key can produce a value that does)."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise PayloadError("encrypt is not base64", reason="undecryptable") from None
    if len(raw) < 32 or len(raw) % 16:
        raise PayloadError("encrypt is not an IV and whole AES blocks", reason="undecryptable")
    decryptor = _cipher(encrypt_key, raw[:16]).decryptor()
    plain = decryptor.update(raw[16:]) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 16 or plain[-pad:] != bytes([pad]) * pad:
        raise SignatureError("encrypt does not decrypt with this encrypt_key", reason="undecryptable")
    return plain[:-pad]


def signature(timestamp: str, nonce: str, encrypt_key: bytes, body: bytes) -> str:
    """``X-Lark-Signature`` for a request: SHA-256 hex (not HMAC) of timestamp, nonce and the
    Encrypt Key, then the raw body."""
    return hashlib.sha256(timestamp.encode() + nonce.encode() + encrypt_key + body).hexdigest()


def _token(event: Any) -> str | None:
    token = lookup(event, "header.token") if lookup(event, "schema") else lookup(event, "token")
    return token if isinstance(token, str) else None


# Where a v2 (``schema: 2.0``) and a v1 event keep what ``identify`` reads.
_V2_PATHS = {
    "topic": "header.event_type",
    "id": "header.event_id",
    "created": "header.create_time",
    "app_id": "header.app_id",
    "tenant_key": "header.tenant_key",
}
_V1_PATHS = {
    "topic": "event.type",
    "id": "uuid",
    "created": "ts",
    "app_id": "event.app_id",
    "tenant_key": "event.tenant_key",
}


def _sent_at(created: Any, *, millis: bool) -> float | None:
    """The event's creation time (v2: milliseconds, v1: seconds) if it is a string of digits."""
    if not (isinstance(created, str) and created.isdigit() and len(created) < 16):
        return None
    return int(created) / 1000 if millis else float(created)


class Feishu(BaseProvider):
    """Feishu (and Lark) events; ``secret`` is the Verification Token (a list while rotating).

    ``encrypt_key`` is the Encrypt Key; set it in the console and here, since without it nothing
    but a token covers the body. ``tolerance`` (seconds, both ways; 0 = off, the default, as in
    the SDK) bounds ``X-Lark-Request-Timestamp`` on signed requests.
    """

    name: ClassVar[str] = "feishu"

    def __init__(
        self,
        *,
        secret: str | bytes | Iterable[str | bytes],
        encrypt_key: str | bytes | None = None,
        tolerance: float = 0.0,
        formats: Iterable[Format] = ("json",),
    ) -> None:
        self._secrets = Secrets(secret)
        if encrypt_key is not None and not isinstance(encrypt_key, str | bytes):
            # A list was taken before and only its first key used: rotation that silently failed.
            raise ConfigurationError(
                "encrypt_key is one key: an app has a single Encrypt Key, which signs and encrypts "
                "every event; set the new one here when you change it in the console"
            )
        self._key = Secrets(encrypt_key).values[0] if encrypt_key is not None else None
        self.tolerance = tolerance
        self.formats = frozenset(formats)

    def __repr__(self) -> str:
        mode = "encrypted" if self._key else "plain"
        return f"{type(self).__name__}(secrets={self._secrets!r}, mode={mode!r})"

    def _plaintext(self, request: HttpRequest) -> bytes:
        """The event's JSON bytes: the body, or what its ``encrypt`` decrypts to."""
        if self._key is None:
            return request.body
        if len(request.body) > MAX_ENCRYPTED_BODY:
            raise PayloadError(
                f"an encrypted body over {MAX_ENCRYPTED_BODY} bytes", reason="payload_too_large"
            )
        envelope = decode_body(request.body, request.content_type, accept=self.formats)
        value = envelope.get("encrypt") if isinstance(envelope, dict) else None
        if not isinstance(value, str) or not value:
            raise SignatureError(
                "a plain body, but this endpoint has an encrypt_key: only encrypted events are accepted",
                reason="plaintext_refused",
            )
        return decrypt(value, self._key)

    def verify(self, request: HttpRequest, *, now: float) -> int:
        sent_signature = (request.header(SIGNATURE) or "").strip() or None  # empty: not sent
        sent = self._signed_time(request, sent_signature)
        event = self._event(request)
        if self._key is not None and sent_signature is None and lookup(event, "type") != URL_VERIFICATION:
            raise SignatureError("missing X-Lark-Signature", reason="missing_signature")
        index = verify_token(_token(event), secrets=self._secrets, header="verification token")
        if sent is not None:
            check_timestamp(sent, now=now, tolerance=self.tolerance)
        return index

    def _signed_time(self, request: HttpRequest, sent_signature: str | None) -> float | None:
        """With an encrypt_key, the signed request time once ``X-Lark-Signature`` checks out;
        ``None`` without a key or a signature (the caller decides whether one was needed)."""
        if self._key is None or sent_signature is None:
            return None
        stamp, nonce = request.header(TIMESTAMP) or "", request.header(NONCE) or ""
        sent = parse_timestamp(stamp, header="X-Lark-Request-Timestamp")
        expected = signature(stamp, nonce, self._key, request.body)
        if not constant_time_equal(expected, sent_signature.lower()):
            raise SignatureError("X-Lark-Signature does not match the encrypt_key")
        return sent

    def _event(self, request: HttpRequest) -> Any:
        """The event whose verification token is checked: the body as sent (an encrypted one is
        refused when no encrypt_key is configured), or the decrypted body."""
        if self._key is not None:
            return decode_json(self._plaintext(request))
        event = decode_body(request.body, request.content_type, accept=self.formats)
        if isinstance(event, dict) and "encrypt" in event and "type" not in event:
            raise PayloadError(
                "an encrypted event, but no encrypt_key is configured", reason="encrypted_payload"
            )
        return event

    def decode(self, request: HttpRequest) -> Any:
        if self._key is None:
            return super().decode(request)
        return decode_json(self._plaintext(request))

    def handshake(self, request: HttpRequest, payload: Any) -> Reply | None:
        if lookup(payload, "type") != URL_VERIFICATION:
            return None
        challenge = lookup(payload, "challenge")
        if not isinstance(challenge, str) or not challenge:
            raise PayloadError("url_verification without a challenge", reason="missing_challenge")
        return Reply.json({"challenge": challenge})

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        v2 = lookup(payload, "schema") is not None
        paths = _V2_PATHS if v2 else _V1_PATHS
        topic = lookup(payload, paths["topic"])
        if not isinstance(topic, str) or not topic:
            raise PayloadError("the event names no event_type", reason="missing_topic")
        event_id = lookup(payload, paths["id"])
        meta = {
            "app_id": lookup(payload, paths["app_id"]),
            "tenant_key": lookup(payload, paths["tenant_key"]),
            "schema": "2.0" if v2 else "1.0",
        }
        return Identity(
            topic=topic,
            delivery_id=event_id if isinstance(event_id, str) and event_id else None,
            sent_at=_sent_at(lookup(payload, paths["created"]), millis=v2),
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
        """A v2 event (``payload`` is its ``event``), or ``url_verification``; encrypted and
        signed when an ``encrypt_key`` is configured, as Feishu sends it."""
        token = self._secrets.values[secret_index].decode()
        value: dict[str, Any]
        if topic == URL_VERIFICATION:
            value = {"challenge": random.token_urlsafe(12), "token": token, "type": topic}
        else:
            event = json.loads(json.dumps(payload)) if isinstance(payload, dict) else {}
            seed = hashlib.sha256(json.dumps([topic, event], sort_keys=True).encode()).hexdigest()
            value = {
                "schema": "2.0",
                "header": {
                    "event_id": delivery_id or seed[:32],
                    "token": token,
                    "create_time": str(int(timestamp * 1000)),
                    "event_type": topic,
                    "tenant_key": "2ca1d211f64f6438",
                    "app_id": "cli_9f5343c580712544",
                },
                "event": event,
            }
        body = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        headers = {"content-type": "application/json"}
        if self._key is not None:
            body = json.dumps({"encrypt": encrypt(body, self._key)}).encode()
            if topic != URL_VERIFICATION:
                stamp, nonce = str(int(timestamp)), random.token_hex(4)
                signed = signature(stamp, nonce, self._key, body)
                headers |= {TIMESTAMP: stamp, NONCE: nonce, SIGNATURE: signed}
        return HttpRequest.outgoing("POST", url, headers, body)


class Lark(Feishu):
    """Lark, Feishu's international edition: the same scheme and fields."""

    name: ClassVar[str] = "lark"
