"""DingTalk (钉钉) event callbacks over HTTP: encrypted JSON, ``msg_signature`` over the ciphertext.

A callback is ``POST ?msg_signature=&timestamp=&nonce=`` with the body ``{"encrypt": "..."}``:
``msg_signature`` (``signature`` in older callbacks) is SHA-1 of sorted ``[token, timestamp, nonce,
encrypt]``, and ``encrypt`` decrypts with WeCom's scheme (43-character aes_key; the receive id
inside is the ``owner_key``: the CorpId, or the app's AppKey / SuiteKey) to the event's JSON.

Every callback, the registration check (``EventType: check_url``) included, must be answered with
the encrypted string ``success`` as ``{"msg_signature", "timeStamp", "nonce", "encrypt"}``:
``handshake`` does that for ``check_url`` and ``ack`` for everything else, duplicates included.
Topics: ``EventType`` (``user_add_org``, ``chat_add_member``, ``bpms_task_change`` ...). DingTalk
sends no delivery id common to all events, so they are deduplicated by a hash of the body.
"""

from __future__ import annotations

import json
import secrets as random
from collections.abc import Iterable
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format, decode_body, decode_json
from hookreceiver.core.delivery import Delivery, HttpRequest, Reply
from hookreceiver.core.signing import (
    Secrets,
    check_timestamp,
    constant_time_equal,
    match_secret,
    parse_timestamp,
)
from hookreceiver.exceptions import PayloadError, SignatureError
from hookreceiver.providers import wechat_crypto
from hookreceiver.providers.base import BaseProvider, Identity
from hookreceiver.providers.wechat import sha1_signature

__all__ = ["DingTalk"]

CHECK_URL = "check_url"
MAX_ENCRYPTED_BODY = 256 * 1024  # the ciphertext is read (and the body decoded) before verifying


class DingTalk(BaseProvider):
    """DingTalk HTTP event callbacks: ``secret`` is the token (a list while rotating),
    ``aes_key`` the 43-character aes_key, ``owner_key`` the CorpId or AppKey the events are for.
    ``tolerance``: seconds either way for the (millisecond) ``timestamp``; 0 (default) = off."""

    name: ClassVar[str] = "dingtalk"

    def __init__(
        self,
        *,
        secret: str | bytes | Iterable[str | bytes],
        aes_key: str,
        owner_key: str,
        tolerance: float = 0.0,
        formats: Iterable[Format] = ("json",),
    ) -> None:
        self._secrets = Secrets(secret)
        self._key = wechat_crypto.aes_key(aes_key)
        self.owner_key = owner_key
        self.tolerance = tolerance
        self.formats = frozenset(formats)

    def __repr__(self) -> str:
        return f"DingTalk(secrets={self._secrets!r}, owner_key={self.owner_key!r})"

    def _ciphertext(self, request: HttpRequest) -> str:
        if len(request.body) > MAX_ENCRYPTED_BODY:
            raise PayloadError(
                f"an encrypted body over {MAX_ENCRYPTED_BODY} bytes", reason="payload_too_large"
            )
        envelope = decode_body(request.body, request.content_type, accept=self.formats)
        value = envelope.get("encrypt") if isinstance(envelope, dict) else None
        if not isinstance(value, str) or not value:
            raise PayloadError("the body has no encrypt", reason="missing_encrypt")
        return value

    def verify(self, request: HttpRequest, *, now: float) -> int:
        query = request.query
        received = (query.get("msg_signature") or query.get("signature") or "").lower()
        if not received:
            raise SignatureError("missing msg_signature in the query string", reason="missing_signature")
        stamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        sent = parse_timestamp(stamp, header="timestamp", scale=1000.0)
        if not nonce:
            raise SignatureError("missing nonce in the query string", reason="missing_nonce")
        ciphertext = self._ciphertext(request)
        index = match_secret(
            self._secrets,
            lambda token: (sha1_signature(token, stamp, nonce, ciphertext),),
            (received,),
            detail="msg_signature does not match any configured token",
        )
        check_timestamp(sent, now=now, tolerance=self.tolerance)
        return index

    def decode(self, request: HttpRequest) -> Any:
        message, receive_id = wechat_crypto.decrypt(self._ciphertext(request), key=self._key)
        if not constant_time_equal(receive_id, self.owner_key):
            raise SignatureError("the event is for another CorpId / AppKey", reason="bad_receive_id")
        return decode_json(message)

    def _success(self, index: int, now: float) -> Reply:
        """The encrypted ``success`` DingTalk wants for every callback."""
        stamp, nonce = str(int(now * 1000)), random.token_hex(4)
        encrypt = wechat_crypto.encrypt(b"success", key=self._key, app_id=self.owner_key)
        token = self._secrets.values[index]
        return Reply.json(
            {
                "msg_signature": sha1_signature(token, stamp, nonce, encrypt),
                "timeStamp": stamp,
                "nonce": nonce,
                "encrypt": encrypt,
            }
        )

    def handshake(self, request: HttpRequest, payload: Any) -> Reply | None:
        if not (isinstance(payload, dict) and payload.get("EventType") == CHECK_URL):
            return None
        stamp = request.query.get("timestamp", "0")
        return self._success(0, int(stamp) / 1000 if stamp.isdigit() else 0.0)

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        kind = payload.get("EventType") if isinstance(payload, dict) else None
        if not isinstance(kind, str) or not kind:
            raise PayloadError("the event has no EventType", reason="missing_topic")
        stamp = payload.get("TimeStamp")
        sent_at = int(stamp) / 1000 if isinstance(stamp, str | int) and str(stamp).isdigit() else None
        corp = payload.get("CorpId")
        return Identity(
            topic=kind, sent_at=sent_at, meta={"corp_id": corp} if isinstance(corp, str) and corp else {}
        )

    def ack(self, delivery: Delivery, reply: Reply | None) -> Reply:
        """The encrypted ``success``; an inline reply is not passed on (DingTalk reads none)."""
        return self._success(delivery.secret_index or 0, delivery.received_at)

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
        """An encrypted callback as DingTalk sends it: ``topic`` is the ``EventType``."""
        stamp = str(int(timestamp * 1000))
        event = {
            "CorpId": self.owner_key,
            **(payload if isinstance(payload, dict) else {}),
            "EventType": topic,
            "TimeStamp": stamp,
        }
        plain = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
        encrypt = wechat_crypto.encrypt(plain, key=self._key, app_id=self.owner_key)
        nonce = random.token_hex(4)
        token = self._secrets.values[secret_index]
        query = {
            "msg_signature": sha1_signature(token, stamp, nonce, encrypt),
            "timestamp": stamp,
            "nonce": nonce,
        }
        return HttpRequest.outgoing(
            "POST",
            url,
            {"content-type": "application/json"},
            json.dumps({"encrypt": encrypt}).encode(),
            query=query,
        )
