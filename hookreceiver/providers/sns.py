"""Amazon SNS HTTP/S subscriptions: RSA signatures checked with a fetched AWS certificate.

The body is JSON (sent as ``text/plain``). ``Signature`` (base64) covers ``"Key\\nValue\\n"`` for a
fixed list of keys: ``Message``, ``MessageId``, ``Subject`` (if present), ``Timestamp``,
``TopicArn``, ``Type`` for a Notification; ``Message``, ``MessageId``, ``SubscribeURL``,
``Timestamp``, ``Token``, ``TopicArn``, ``Type`` for the confirmations. ``SignatureVersion`` 1 is
SHA1withRSA, 2 SHA256withRSA. ``SigningCertURL`` must be ``https://sns.<region>.amazonaws.com``
(or ``.amazonaws.com.cn``) and end in ``.pem``; the certificate is fetched through a
``CertificateCache`` (pluggable fetcher, TTL, size bound) and must be valid at ``now``.
Verifying therefore needs a network call the first time each certificate is seen.

Only the ``topic_arns`` you name are accepted. A ``SubscriptionConfirmation`` is an ordinary
delivery (topic ``SubscriptionConfirmation``) unless you opt in with ``confirm=``: a callable
given the (allow-listed) ``SubscribeURL`` to GET, after which the request is answered directly.
Notifications have the topic ``Notification.<topic name>`` (alias ``Notification``); the delivery
id is ``MessageId``, kept on retries.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from hookreceiver.core.delivery import HttpRequest, Reply
from hookreceiver.core.signing import check_timestamp
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError
from hookreceiver.providers.base import BaseProvider, Identity
from hookreceiver.providers.certs import CertificateCache, Fetcher, fetch_https

__all__ = ["SNS", "allowed_sns_url", "string_to_sign"]

_HOST = re.compile(r"sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?")
_KEYS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
    "UnsubscribeConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}


def allowed_sns_url(url: str, *, pem: bool = True) -> bool:
    """``https://sns.<region>.amazonaws.com[.cn]/...`` with no port or user info (``.pem`` path)."""
    parts = urlsplit(url)
    return (
        parts.scheme == "https"
        and parts.port is None
        and "@" not in parts.netloc
        and _HOST.fullmatch(parts.hostname or "") is not None
        and (not pem or parts.path.endswith(".pem"))
    )


def string_to_sign(message: dict[str, Any]) -> bytes:
    """The bytes an SNS message's ``Signature`` covers."""
    keys = _KEYS.get(str(message.get("Type")))
    if keys is None:
        raise PayloadError("the message Type is not one SNS sends", reason="bad_payload")
    lines = []
    for key in keys:
        value = message.get(key)
        if value is None and key == "Subject":
            continue
        if not isinstance(value, str):
            raise SignatureError(f"the signed field {key} is missing", reason="missing_signature")
        lines.append(f"{key}\n{value}\n")
    return "".join(lines).encode()


def _parse(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise PayloadError("the body is not an SNS JSON message") from None
    if not isinstance(value, dict):
        raise PayloadError("the body is not an SNS JSON message")
    return value


def _timestamp(text: Any) -> float:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise SignatureError("the message Timestamp is not ISO 8601", reason="bad_timestamp") from None


class SNS(BaseProvider):
    """Amazon SNS; ``topic_arns`` are the topics you subscribed (anything else is refused).

    ``fetch`` replaces the certificate fetcher (tests serve their own certificate),
    ``certificates`` a whole cache; ``tolerance`` (seconds) bounds the signed ``Timestamp`` (off
    by default: SNS keeps it across retries). ``signing_key`` (a PEM RSA private key) and
    ``cert_url`` let ``sign()`` build test messages.
    """

    name: ClassVar[str] = "sns"

    def __init__(
        self,
        *,
        topic_arns: str | Iterable[str],
        fetch: Fetcher = fetch_https,
        certificates: CertificateCache | None = None,
        confirm: Callable[[str], object] | None = None,
        tolerance: float = 0.0,
        signing_key: str | None = None,
        cert_url: str = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem",
    ) -> None:
        self.topic_arns = frozenset([topic_arns] if isinstance(topic_arns, str) else topic_arns)
        if not self.topic_arns:
            raise ConfigurationError("name at least one topic ARN")
        self.certificates = certificates or CertificateCache(allow=allowed_sns_url, fetch=fetch)
        self.confirm = confirm
        self.tolerance = tolerance
        self._signing_key = signing_key
        self.cert_url = cert_url

    def __repr__(self) -> str:
        return f"SNS(topic_arns={sorted(self.topic_arns)!r}, confirm={self.confirm is not None})"

    def decode(self, request: HttpRequest) -> Any:
        return _parse(request.body)  # JSON whatever the content type (SNS says text/plain)

    def verify(self, request: HttpRequest, *, now: float) -> int:
        message = _parse(request.body)
        if message.get("TopicArn") not in self.topic_arns:
            raise SignatureError(
                "the TopicArn is not one this endpoint subscribed", reason="unexpected_topic"
            )
        algorithm = _HASHES.get(str(message.get("SignatureVersion")))
        if algorithm is None:
            raise SignatureError("unknown SignatureVersion", reason="bad_signature")
        text = message.get("Signature")
        if not isinstance(text, str) or not text:
            raise SignatureError("missing Signature", reason="missing_signature")
        try:
            signature = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError("Signature is not base64") from None
        signed = string_to_sign(message)
        certificate = self.certificates.get(str(message.get("SigningCertURL")), now=now)
        moment = datetime.fromtimestamp(now, UTC)
        if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
            raise SignatureError("the signing certificate is not valid now", reason="bad_certificate")
        public = certificate.public_key()
        if not isinstance(public, rsa.RSAPublicKey):
            raise SignatureError("the signing certificate has no RSA key", reason="bad_certificate")
        try:
            public.verify(signature, signed, padding.PKCS1v15(), algorithm())
        except InvalidSignature:
            raise SignatureError("Signature does not verify under the SNS certificate") from None
        check_timestamp(_timestamp(message.get("Timestamp")), now=now, tolerance=self.tolerance)
        return 0

    def handshake(self, request: HttpRequest, payload: Any) -> Reply | None:
        if self.confirm is None or payload.get("Type") != "SubscriptionConfirmation":
            return None
        url = payload.get("SubscribeURL")
        if not isinstance(url, str) or not allowed_sns_url(url, pem=False):
            raise PayloadError("the SubscribeURL is not an SNS URL", reason="bad_payload")
        self.confirm(url)
        return Reply.json({"status": "confirmed"})

    def peek_delivery_id(self, request: HttpRequest) -> str | None:
        return request.header("x-amz-sns-message-id") or None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        kind = str(payload.get("Type"))
        arn = str(payload.get("TopicArn"))
        topic: str = kind
        aliases: tuple[str, ...] = ()
        if kind == "Notification":
            topic, aliases = f"Notification.{arn.rsplit(':', 1)[-1]}", ("Notification",)
        meta = {"topic_arn": arn}
        if isinstance(payload.get("Subject"), str):
            meta["subject"] = payload["Subject"]
        message_id = payload.get("MessageId")
        return Identity(
            topic=topic,
            aliases=aliases,
            meta=meta,
            delivery_id=message_id if isinstance(message_id, str) and message_id else None,
            sent_at=_timestamp(payload.get("Timestamp")),
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
        """A signed SNS message (version 2): ``payload`` is the ``Message`` (text, or JSON-encoded),
        or a dict with SNS fields; ``topic`` a ``Type`` or a Notification's topic name."""
        if self._signing_key is None:
            raise ConfigurationError("SNS.sign needs signing_key= (see hookreceiver.testing.certs)")
        fields: dict[str, Any] = (
            dict(payload)
            if isinstance(payload, dict) and "Message" in payload
            else {
                "Message": payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
            }
        )
        kind = topic if topic in _KEYS else "Notification"
        arn = fields.get("TopicArn") or sorted(self.topic_arns)[0]
        when = datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        fields.update(
            Type=kind, TopicArn=arn, Timestamp=when, SignatureVersion="2", SigningCertURL=self.cert_url
        )
        if delivery_id or not isinstance(fields.get("MessageId"), str):
            seed = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).digest()
            fields["MessageId"] = delivery_id or str(uuid.UUID(bytes=seed[:16], version=4))
        if kind != "Notification":
            fields.setdefault("Token", "test-token")
            fields.setdefault(
                "SubscribeURL",
                "https://sns.us-east-1.amazonaws.com/?Action="
                f"ConfirmSubscription&TopicArn={arn}&Token={fields['Token']}",
            )
        key = serialization.load_pem_private_key(self._signing_key.encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ConfigurationError("signing_key must be an RSA private key")
        signature = key.sign(string_to_sign(fields), padding.PKCS1v15(), hashes.SHA256())
        fields["Signature"] = base64.b64encode(signature).decode()
        body = json.dumps(fields, separators=(",", ":")).encode()
        headers = {
            "content-type": "text/plain; charset=UTF-8",
            "x-amz-sns-message-type": kind,
            "x-amz-sns-message-id": fields["MessageId"],
            "x-amz-sns-topic-arn": arn,
        }
        return HttpRequest.outgoing("POST", url, headers, body)
