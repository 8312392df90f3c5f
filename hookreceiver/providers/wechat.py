"""WeChat Official Account (微信公众号) message push: a SHA-1 over the Token, in the query string.

* GET is the server check: ``signature`` = SHA-1 hex of ``[token, timestamp, nonce]`` sorted and
  joined; when it matches, ``echostr`` is answered verbatim (a wrong signature gets 401).
* POST carries an XML message under the same query signature, which covers no body bytes: a
  captured URL can be replayed with another body. Two defaults narrow that in plain mode: the
  signed ``timestamp`` must be within ``tolerance`` (300 s) of the receiver's clock, and a nonce
  cache refuses a second, different body under the same signed ``timestamp``/``nonce``
  (``replayed_nonce``; the identical body again is a retry, left to dedupe). Safe mode
  (``encrypt_type=aes``) closes the hole: ``msg_signature`` is SHA-1 of sorted
  ``[token, timestamp, nonce, Encrypt]`` and the body is AES-encrypted (see
  :mod:`hookreceiver.providers.wechat_crypto`). Use it in production: with an ``aes_key``
  configured, plain POSTs are refused (``plaintext_refused``) unless ``allow_plain``.

Topics: ``MsgType`` (``text``, ``image``, ``voice``, ``location`` ...), or ``event.<event>`` for
events, lower-cased (``event.subscribe``, ``event.scan``, ``event.click``) with the alias
``event``; the raw ``Event`` is in ``meta["event"]``. Delivery ids: ``MsgId``, or
``FromUserName:CreateTime:event`` for events (WeChat's retries repeat all three).

WeChat wants ``success`` or a passive XML reply, never JSON: ``ack`` answers ``success`` when no
inline handler replied, and encrypts a passive reply when the message came in safe mode.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets as random
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format, decode_body, decode_xml
from hookreceiver.core.delivery import Delivery, HttpRequest, Reply
from hookreceiver.core.replay import NonceCache
from hookreceiver.core.signing import (
    Secrets,
    check_timestamp,
    constant_time_equal,
    match_secret,
    parse_timestamp,
)
from hookreceiver.exceptions import (
    ConfigurationError,
    DeliveryError,
    PayloadError,
    PayloadTooLarge,
    SignatureError,
)
from hookreceiver.providers import wechat_crypto
from hookreceiver.providers.base import BaseProvider, Identity

__all__ = ["WeChat", "encrypt_value", "message_topic", "sha1_signature", "text_reply", "to_xml"]


def sha1_signature(*parts: str | bytes) -> str:
    """WeChat's signature: SHA-1 hex of the parts, sorted, joined with nothing."""
    encoded = sorted(p.encode() if isinstance(p, str) else p for p in parts)
    return hashlib.sha1(b"".join(encoded)).hexdigest()


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def to_xml(fields: Mapping[str, Any]) -> str:
    """``<xml>`` with one child per field: numbers as text, strings as CDATA, dicts nested."""

    def render(value: Any) -> str:
        if isinstance(value, Mapping):
            return "".join(f"<{k}>{render(v)}</{k}>" for k, v in value.items())
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _cdata(str(value))
        return str(value)

    return f"<xml>{render(fields)}</xml>"


def text_reply(delivery: Delivery, content: str) -> Reply:
    """A passive text reply to the user who sent ``delivery`` (``ack`` encrypts it in safe mode)."""
    payload = delivery.payload if isinstance(delivery.payload, Mapping) else {}
    return Reply.xml(
        to_xml(
            {
                "ToUserName": str(payload.get("FromUserName", "")),
                "FromUserName": str(payload.get("ToUserName", "")),
                "CreateTime": int(delivery.received_at),
                "MsgType": "text",
                "Content": content,
            }
        )
    )


# A safe-mode body is a few small fields around one base64 ``Encrypt``: anything larger is
# refused before it is read, since it is read before the signature can be checked.
MAX_ENCRYPTED_BODY = 64 * 1024
_ENCRYPT = re.compile(rb"<Encrypt>\s*(?:<!\[CDATA\[([A-Za-z0-9+/=]*)\]\]>|([A-Za-z0-9+/=]*))\s*</Encrypt>")


def encrypt_value(body: bytes) -> tuple[str, DeliveryError | None]:
    """The ``Encrypt`` text of a safe-mode body, or ``""`` and the error saying why there is none.

    Read with one linear scan, not an XML parser (this runs before the signature is checked):
    exactly one ``<Encrypt>`` element holding base64, bare or as CDATA. ``decode`` decrypts the
    same value, so what is verified is what is decrypted.
    """
    if len(body) > MAX_ENCRYPTED_BODY:
        return "", PayloadTooLarge(f"a safe-mode body over {MAX_ENCRYPTED_BODY} bytes")
    match = _ENCRYPT.search(body) if body.count(b"<Encrypt>") == 1 else None
    encrypt = (match[1] or match[2] or b"").decode() if match else ""
    if not encrypt:
        return "", PayloadError("a safe-mode message without one base64 Encrypt", reason="missing_encrypt")
    return encrypt, None


def message_topic(fields: Mapping[str, Any]) -> tuple[str, tuple[str, ...], str | None]:
    """A WeChat-style message's topic, aliases and delivery id (WeChat and WeCom alike):
    ``MsgType`` (``text``) with its ``MsgId``, or for an event ``event.<Event>`` (alias
    ``event``) with ``FromUserName:CreateTime:Event``, which a retry repeats."""
    msg_type = str(fields.get("MsgType") or "").lower()
    if not msg_type:
        raise PayloadError("the message has no MsgType", reason="missing_topic")
    event = str(fields.get("Event") or "")
    if msg_type == "event" and event:
        sender, created = str(fields.get("FromUserName", "")), str(fields.get("CreateTime", ""))
        delivery_id = f"{sender}:{created}:{event}" if sender and created else None
        return f"event.{event.lower()}", ("event",), delivery_id
    return msg_type, (), str(fields.get("MsgId") or "") or None


def _created(value: Any) -> float | None:
    """``CreateTime`` as seconds, or ``None`` unless it is plain ASCII digits within range."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()) or len(text) > 15:
        return None
    seconds = float(text)
    return seconds if math.isfinite(seconds) else None


class WeChat(BaseProvider):
    """WeChat Official Account messages; ``secret`` is the Token (a list while rotating).

    For safe mode pass ``aes_key`` (the 43-character EncodingAESKey) and ``app_id``; plain POSTs
    are then refused, since their signature does not cover the body, unless ``allow_plain=True``
    (WeChat's compatibility mode, while you switch over). ``tolerance`` (seconds; default 300,
    0 = off) rejects requests whose signed ``timestamp`` is too far from the receiver's clock.
    ``nonces`` remembers the signed nonces of plain POSTs for ``tolerance`` seconds (300 when
    the window is off), so a captured URL cannot carry another body; by default each provider
    has its own :class:`~hookreceiver.core.replay.NonceCache` (per process).
    """

    name: ClassVar[str] = "wechat"
    methods: frozenset[str] = frozenset({"GET", "POST"})

    def __init__(
        self,
        *,
        secret: str | bytes | Iterable[str | bytes],
        aes_key: str | None = None,
        app_id: str | None = None,
        allow_plain: bool = False,
        tolerance: float = 300.0,
        nonces: NonceCache | None = None,
        formats: Iterable[Format] = ("xml",),
    ) -> None:
        if (aes_key is None) != (app_id is None):
            raise ConfigurationError("safe mode needs both aes_key and app_id")
        if allow_plain and aes_key is None:
            raise ConfigurationError("allow_plain applies with aes_key only (without one, all is plain)")
        self._secrets = Secrets(secret)
        self._key = wechat_crypto.aes_key(aes_key) if aes_key is not None else None
        self.app_id = app_id
        self.allow_plain = allow_plain
        self.tolerance = tolerance
        self.nonces = (
            nonces if nonces is not None else NonceCache(window=tolerance if tolerance > 0 else 300.0)
        )
        self.formats = frozenset(formats)

    def __repr__(self) -> str:
        mode = "safe" if self._key else "plain"
        extra = ", allow_plain=True" if self.allow_plain else ""
        return f"WeChat(secrets={self._secrets!r}, mode={mode!r}, app_id={self.app_id!r}{extra})"

    @staticmethod
    def _encrypted(request: HttpRequest) -> bool:
        return request.method == "POST" and request.query.get("encrypt_type", "").lower() == "aes"

    def verify(self, request: HttpRequest, *, now: float) -> int:
        encrypted = self._encrypted(request)
        self._check_mode(request, encrypted)
        query = request.query
        name = "msg_signature" if encrypted else "signature"
        received = query.get(name, "").lower()
        if not received:
            raise SignatureError(f"missing {name} in the query string", reason="missing_signature")
        stamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        sent = parse_timestamp(stamp, header="timestamp")
        if not nonce:
            raise SignatureError("missing nonce in the query string", reason="missing_nonce")
        parts: list[str] = [stamp, nonce]
        unreadable: DeliveryError | None = None
        if encrypted:
            # Encrypt lives inside the body, so it is read first (size-capped, one linear scan);
            # an unreadable body is checked as an empty Encrypt: a wrong signature stays a 401.
            encrypt, unreadable = encrypt_value(request.body)
            parts.append(encrypt)
        index = match_secret(
            self._secrets,
            lambda token: (sha1_signature(token, *parts),),
            (received,),
            detail=f"{name} does not match any configured token",
        )
        if unreadable is not None:
            raise unreadable
        check_timestamp(sent, now=now, tolerance=self.tolerance)
        if request.method == "POST" and not encrypted:  # the signature does not cover this body
            self.nonces.check(f"{stamp}:{received}", nonce, request.body, now=now)
        return index

    def _check_mode(self, request: HttpRequest, encrypted: bool) -> None:
        """Refuse, before anything is read, a safe-mode message without an aes_key, and a plain
        POST (whose signature does not cover the body) where only safe mode is accepted."""
        if encrypted and self._key is None:
            raise PayloadError(
                "an encrypted (safe mode) message, but no aes_key is configured", reason="encrypted_payload"
            )
        if request.method == "POST" and not encrypted and self._key is not None and not self.allow_plain:
            raise SignatureError(
                "a plain message, whose signature does not cover the body; this "
                "endpoint takes safe-mode (encrypt_type=aes) messages only",
                reason="plaintext_refused",
            )

    def decode(self, request: HttpRequest) -> Any:
        if request.method != "POST":
            return super().decode(request)
        if not self._encrypted(request):
            return decode_body(request.body, request.content_type, accept=self.formats)
        if self._key is None or self.app_id is None:
            raise PayloadError(
                "an encrypted (safe mode) message, but no aes_key is configured", reason="encrypted_payload"
            )
        encrypt, unreadable = encrypt_value(request.body)
        if unreadable is not None:
            raise unreadable
        message, app_id = wechat_crypto.decrypt(encrypt, key=self._key)
        if not constant_time_equal(app_id, self.app_id):
            raise SignatureError("the message is for another AppID", reason="bad_app_id")
        return decode_xml(message)

    def handshake(self, request: HttpRequest, payload: Any) -> Reply | None:
        if request.method != "GET":
            return None
        echostr = request.query.get("echostr")
        if echostr is None:
            raise PayloadError("a GET without echostr", reason="missing_echostr")
        return Reply.text(echostr)

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        fields: Mapping[str, Any] = payload if isinstance(payload, Mapping) else {}
        topic, aliases, delivery_id = message_topic(fields)
        meta = {
            "openid": request.query.get("openid", ""),
            "to_user": str(fields.get("ToUserName", "")),
            "from_user": str(fields.get("FromUserName", "")),
            "event": str(fields.get("Event") or ""),
            "encryption": "aes" if self._encrypted(request) else "none",
        }
        return Identity(
            topic=topic,
            delivery_id=delivery_id,
            aliases=aliases,
            sent_at=_created(str(fields.get("CreateTime", ""))),
            meta={k: v for k, v in meta.items() if v},
        )

    def ack(self, delivery: Delivery, reply: Reply | None) -> Reply:
        """``success`` when nobody replied; a passive reply is encrypted for safe-mode messages."""
        if reply is None:
            return Reply.text("success")
        if (
            delivery.meta.get("encryption") != "aes"
            or self._key is None
            or self.app_id is None
            or reply.status != 200
            or reply.body in (b"", b"success")
        ):
            return reply
        index = delivery.secret_index or 0
        stamp, nonce = str(int(delivery.received_at)), str(random.randbelow(10**10))
        encrypt = wechat_crypto.encrypt(reply.body, key=self._key, app_id=self.app_id)
        return Reply.xml(
            to_xml(
                {
                    "Encrypt": encrypt,
                    "MsgSignature": sha1_signature(self._secrets.values[index], stamp, nonce, encrypt),
                    "TimeStamp": int(stamp),
                    "Nonce": nonce,
                }
            )
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
        """A POST as WeChat sends it (encrypted when ``aes_key`` is set); ``topic`` as identify reads it.

        ``payload`` holds the message fields; ``ToUserName``, ``FromUserName`` and ``CreateTime``
        get test defaults, ``MsgType``/``Event`` come from ``topic``, ``MsgId`` from ``delivery_id``.
        """
        stamp = str(int(timestamp))
        fields: dict[str, Any] = {
            "ToUserName": "gh_0123456789ab",
            "FromUserName": "oUser123",
            "CreateTime": int(stamp),
        }
        fields.update(payload if isinstance(payload, Mapping) else {})
        kind, _, event = topic.partition(".")
        fields["MsgType"] = kind
        if kind == "event":
            fields["Event"] = event
        elif delivery_id:
            fields["MsgId"] = delivery_id
        body = to_xml(fields).encode()
        token = self._secrets.values[secret_index]
        nonce = str(random.randbelow(10**10))
        query = {
            "signature": sha1_signature(token, stamp, nonce),
            "timestamp": stamp,
            "nonce": nonce,
            "openid": str(fields["FromUserName"]),
        }
        if self._key is not None and self.app_id is not None:
            encrypt = wechat_crypto.encrypt(body, key=self._key, app_id=self.app_id)
            body = to_xml({"ToUserName": fields["ToUserName"], "Encrypt": encrypt}).encode()
            query |= {"encrypt_type": "aes", "msg_signature": sha1_signature(token, stamp, nonce, encrypt)}
        return HttpRequest.outgoing("POST", url, {"content-type": "text/xml"}, body, query=query)
