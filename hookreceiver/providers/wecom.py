"""WeCom (企业微信) application callbacks: always encrypted, ``msg_signature`` over the ciphertext.

* GET is the URL check: ``msg_signature`` = SHA-1 of sorted ``[token, timestamp, nonce, echostr]``
  where ``echostr`` is **encrypted**; once it matches, the decrypted ``echostr`` is the answer
  (plain text), and the CorpID inside must be ours.
* POST carries ``<xml><ToUserName/><Encrypt/><AgentID/></xml>``; ``msg_signature`` covers
  ``Encrypt``, which decrypts (WeChat's scheme, :mod:`hookreceiver.providers.wechat_crypto`) to
  the message XML and the CorpID.

Topics and ids as for WeChat: ``MsgType``, or ``event.<event>`` lower-cased (alias ``event``);
``MsgId``, else ``FromUserName:CreateTime:Event``. The answer is ``success`` (an empty body works
too), or an inline handler's passive reply, which ``ack`` encrypts.
"""

from __future__ import annotations

import secrets as random
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format, decode_xml
from hookreceiver.core.delivery import Delivery, HttpRequest, Reply
from hookreceiver.core.signing import (
    Secrets,
    check_timestamp,
    constant_time_equal,
    match_secret,
    parse_timestamp,
)
from hookreceiver.exceptions import DeliveryError, PayloadError, SignatureError
from hookreceiver.providers import wechat_crypto
from hookreceiver.providers.base import BaseProvider, Identity
from hookreceiver.providers.wechat import encrypt_value, message_topic, sha1_signature, to_xml

__all__ = ["WeCom"]


class WeCom(BaseProvider):
    """A WeCom application's callback URL: ``secret`` is the Token (a list while rotating),
    ``aes_key`` the 43-character EncodingAESKey, ``corp_id`` the CorpID (the receive id inside
    every message). ``tolerance``: seconds either way for ``timestamp`` (0 = off, the default)."""

    name: ClassVar[str] = "wecom"
    methods: frozenset[str] = frozenset({"GET", "POST"})

    def __init__(
        self,
        *,
        secret: str | bytes | Iterable[str | bytes],
        aes_key: str,
        corp_id: str,
        tolerance: float = 0.0,
        formats: Iterable[Format] = ("xml",),
    ) -> None:
        self._secrets = Secrets(secret)
        self._key = wechat_crypto.aes_key(aes_key)
        self.corp_id = corp_id
        self.tolerance = tolerance
        self.formats = frozenset(formats)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(secrets={self._secrets!r}, corp_id={self.corp_id!r})"

    def _ciphertext(self, request: HttpRequest) -> tuple[str, DeliveryError | None]:
        if request.method == "GET":
            echostr = request.query.get("echostr", "")
            return echostr, None if echostr else PayloadError(
                "a GET without echostr", reason="missing_echostr"
            )
        return encrypt_value(request.body)

    def verify(self, request: HttpRequest, *, now: float) -> int:
        query = request.query
        received = query.get("msg_signature", "").lower()
        if not received:
            raise SignatureError("missing msg_signature in the query string", reason="missing_signature")
        stamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        sent = parse_timestamp(stamp, header="timestamp")
        if not nonce:
            raise SignatureError("missing nonce in the query string", reason="missing_nonce")
        # An unreadable Encrypt is checked as empty, so a wrong signature stays a 401.
        ciphertext, unreadable = self._ciphertext(request)
        index = match_secret(
            self._secrets,
            lambda token: (sha1_signature(token, stamp, nonce, ciphertext),),
            (received,),
            detail="msg_signature does not match any configured token",
        )
        if unreadable is not None:
            raise unreadable
        check_timestamp(sent, now=now, tolerance=self.tolerance)
        return index

    def _decrypt(self, ciphertext: str) -> bytes:
        message, receive_id = wechat_crypto.decrypt(ciphertext, key=self._key)
        if not constant_time_equal(receive_id, self.corp_id):
            raise SignatureError("the message is for another CorpID", reason="bad_receive_id")
        return message

    def decode(self, request: HttpRequest) -> Any:
        ciphertext, unreadable = self._ciphertext(request)
        if unreadable is not None:
            raise unreadable
        plain = self._decrypt(ciphertext)
        if request.method == "GET":
            return {"echostr": plain.decode("utf-8", "replace")}
        return decode_xml(plain)

    def handshake(self, request: HttpRequest, payload: Any) -> Reply | None:
        if request.method != "GET":
            return None
        return Reply.text(str(payload["echostr"]))

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        fields: Mapping[str, Any] = payload if isinstance(payload, Mapping) else {}
        topic, aliases, delivery_id = message_topic(fields)
        created = str(fields.get("CreateTime", ""))
        meta = {
            "agent_id": str(fields.get("AgentID") or ""),
            "from_user": str(fields.get("FromUserName", "")),
            "event": str(fields.get("Event") or ""),
        }
        return Identity(
            topic=topic,
            delivery_id=delivery_id,
            aliases=aliases,
            sent_at=float(created) if created.isdigit() and len(created) < 16 else None,
            meta={k: v for k, v in meta.items() if v},
        )

    def ack(self, delivery: Delivery, reply: Reply | None) -> Reply:
        """``success`` when nobody replied; a passive reply is encrypted as WeCom requires."""
        if reply is None:
            return Reply.text("success")
        if reply.status != 200 or reply.body in (b"", b"success"):
            return reply
        stamp, nonce = str(int(delivery.received_at)), str(random.randbelow(10**10))
        encrypt = wechat_crypto.encrypt(reply.body, key=self._key, app_id=self.corp_id)
        token = self._secrets.values[delivery.secret_index or 0]
        return Reply.xml(
            to_xml(
                {
                    "Encrypt": encrypt,
                    "MsgSignature": sha1_signature(token, stamp, nonce, encrypt),
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
        """An encrypted POST as WeCom sends it; ``topic`` as ``identify`` reads it."""
        stamp = str(int(timestamp))
        fields: dict[str, Any] = {
            "ToUserName": self.corp_id,
            "FromUserName": "zhangsan",
            "CreateTime": int(stamp),
            "AgentID": 1000002,
        }
        fields.update(payload if isinstance(payload, Mapping) else {})
        kind, _, event = topic.partition(".")
        fields["MsgType"] = kind
        if kind == "event":
            fields["Event"] = event
        elif delivery_id:
            fields["MsgId"] = delivery_id
        encrypt = wechat_crypto.encrypt(to_xml(fields).encode(), key=self._key, app_id=self.corp_id)
        body = to_xml({"ToUserName": self.corp_id, "Encrypt": encrypt, "AgentID": fields["AgentID"]}).encode()
        nonce = str(random.randbelow(10**10))
        token = self._secrets.values[secret_index]
        query = {
            "msg_signature": sha1_signature(token, stamp, nonce, encrypt),
            "timestamp": stamp,
            "nonce": nonce,
        }
        return HttpRequest.outgoing("POST", url, {"content-type": "text/xml"}, body, query=query)

    def url_check(self, *, echostr: str, timestamp: float, url: str, secret_index: int = 0) -> HttpRequest:
        """The GET URL check WeCom sends when the callback URL is saved (for tests)."""
        encrypted = wechat_crypto.encrypt(echostr.encode(), key=self._key, app_id=self.corp_id)
        stamp, nonce = str(int(timestamp)), str(random.randbelow(10**10))
        token = self._secrets.values[secret_index]
        query = {
            "msg_signature": sha1_signature(token, stamp, nonce, encrypted),
            "timestamp": stamp,
            "nonce": nonce,
            "echostr": encrypted,
        }
        return HttpRequest.outgoing("GET", url, {}, b"", query=query)
