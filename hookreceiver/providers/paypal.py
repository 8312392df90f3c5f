"""PayPal: ``PAYPAL-TRANSMISSION-SIG``, RSA over ``id|time|webhook_id|crc32(body)``, checked offline.

The signed string is ``PAYPAL-TRANSMISSION-ID``, ``PAYPAL-TRANSMISSION-TIME``, the id of **your**
webhook subscription (``webhook_id=``, from the dashboard; not in the request) and the unsigned
CRC-32 of the raw body in decimal, joined with ``|``. The signature (base64) verifies under the
public key of the certificate at ``PAYPAL-CERT-URL``, which must be ``https`` on a
``paypal.com`` host (no port, no user info) and whose subject CN must end in ``.paypal.com``; it
is fetched through a ``CertificateCache`` (pluggable fetcher, TTL, size bound), so verifying needs
a network call the first time each certificate is seen. ``PAYPAL-AUTH-ALGO`` must be
``SHA256withRSA``. The topic is the body's ``event_type``; the delivery id its ``id`` (``WH-...``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import check_timestamp
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError
from hookreceiver.providers.base import BaseProvider, Identity
from hookreceiver.providers.certs import CertificateCache, Fetcher, fetch_https

__all__ = ["PayPal", "allowed_paypal_url", "signed_string"]

TRANSMISSION_ID = "paypal-transmission-id"
TRANSMISSION_TIME = "paypal-transmission-time"
TRANSMISSION_SIG = "paypal-transmission-sig"
CERT_URL = "paypal-cert-url"
AUTH_ALGO = "paypal-auth-algo"
_ALGORITHMS: dict[str, Callable[[], hashes.HashAlgorithm]] = {"SHA256withRSA": hashes.SHA256}


def allowed_paypal_url(url: str) -> bool:
    """``https`` on ``paypal.com`` or a subdomain, with no port or user info."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return (
        parts.scheme == "https"
        and parts.port is None
        and "@" not in parts.netloc
        and (host == "paypal.com" or host.endswith(".paypal.com"))
    )


def signed_string(transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> bytes:
    """``id|time|webhook_id|crc32`` as PayPal signs it."""
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}".encode()


def _time(text: str) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise SignatureError("PAYPAL-TRANSMISSION-TIME is not ISO 8601", reason="bad_timestamp") from None


def _transmission(request: HttpRequest) -> dict[str, str]:
    """The five transmission headers, stripped; any of them missing is a missing signature."""
    values = {
        name: (request.header(name) or "").strip()
        for name in (TRANSMISSION_ID, TRANSMISSION_TIME, TRANSMISSION_SIG, CERT_URL, AUTH_ALGO)
    }
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise SignatureError(f"missing {', '.join(missing)}", reason="missing_signature")
    return values


def _paypal_key(certificate: x509.Certificate, *, now: float) -> rsa.RSAPublicKey:
    """The RSA key of a certificate issued to ``*.paypal.com`` and valid at ``now``."""
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common = str(names[0].value) if names else ""
    moment = datetime.fromtimestamp(now, UTC)
    if not (
        common.endswith(".paypal.com")
        and certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc
    ):
        raise SignatureError(
            "the signing certificate is not a valid PayPal certificate", reason="bad_certificate"
        )
    public = certificate.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise SignatureError("the signing certificate has no RSA key", reason="bad_certificate")
    return public


class PayPal(BaseProvider):
    """PayPal REST webhooks; ``webhook_id`` is your subscription's id.

    ``fetch`` replaces the certificate fetcher, ``certificates`` the whole cache; ``tolerance``
    (seconds, both ways) bounds ``PAYPAL-TRANSMISSION-TIME`` (off by default). ``signing_key``
    (PEM RSA private key) and ``cert_url`` let ``sign()`` build test requests.
    """

    name: ClassVar[str] = "paypal"
    formats: frozenset[Format] = frozenset({"json"})

    def __init__(
        self,
        *,
        webhook_id: str,
        fetch: Fetcher = fetch_https,
        certificates: CertificateCache | None = None,
        tolerance: float = 0.0,
        signing_key: str | None = None,
        cert_url: str = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-test",
    ) -> None:
        if not webhook_id:
            raise ConfigurationError("PayPal needs webhook_id= (the id of your webhook subscription)")
        self.webhook_id = webhook_id
        self.certificates = certificates or CertificateCache(allow=allowed_paypal_url, fetch=fetch)
        self.tolerance = tolerance
        self._signing_key = signing_key
        self.cert_url = cert_url

    def __repr__(self) -> str:
        return f"PayPal(webhook_id={self.webhook_id!r}, tolerance={self.tolerance:g})"

    def verify(self, request: HttpRequest, *, now: float) -> int:
        values = _transmission(request)
        algorithm = _ALGORITHMS.get(values[AUTH_ALGO])
        if algorithm is None:
            raise SignatureError("PAYPAL-AUTH-ALGO is not SHA256withRSA", reason="bad_signature")
        try:
            signature = base64.b64decode(values[TRANSMISSION_SIG], validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError("PAYPAL-TRANSMISSION-SIG is not base64") from None
        sent = _time(values[TRANSMISSION_TIME])
        public = _paypal_key(self.certificates.get(values[CERT_URL], now=now), now=now)
        message = signed_string(
            values[TRANSMISSION_ID], values[TRANSMISSION_TIME], self.webhook_id, request.body
        )
        try:
            public.verify(signature, message, padding.PKCS1v15(), algorithm())
        except InvalidSignature:
            raise SignatureError("PAYPAL-TRANSMISSION-SIG does not verify") from None
        check_timestamp(sent, now=now, tolerance=self.tolerance)
        return 0

    def peek_delivery_id(self, request: HttpRequest) -> str | None:
        return request.header(TRANSMISSION_ID) or None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        topic = payload.get("event_type") if isinstance(payload, dict) else None
        if not isinstance(topic, str) or not topic:
            raise PayloadError("the event has no 'event_type'", reason="missing_topic")
        event_id = payload.get("id")
        meta = {
            k: payload[k]
            for k in ("resource_type", "summary", "create_time")
            if isinstance(payload.get(k), str)
        }
        transmission = request.header(TRANSMISSION_ID)
        if transmission:
            meta["transmission_id"] = transmission
        return Identity(
            topic=topic, meta=meta, delivery_id=event_id if isinstance(event_id, str) and event_id else None
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
        """The event PayPal would post, signed with ``signing_key``: ``payload`` is the event
        (``resource`` inside), ``topic`` its ``event_type``, ``delivery_id`` its ``id``."""
        if self._signing_key is None:
            raise ConfigurationError("PayPal.sign needs signing_key= (see hookreceiver.testing.certs)")
        key = serialization.load_pem_private_key(self._signing_key.encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ConfigurationError("signing_key must be an RSA private key")
        when = datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        event: dict[str, Any] = {"create_time": when, "resource_type": topic.split(".")[0].lower()}
        event.update(payload if isinstance(payload, dict) else {"resource": payload})
        event["event_type"] = topic
        seed = hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest().upper()
        if delivery_id:
            event["id"] = delivery_id
        elif not isinstance(event.get("id"), str):
            event["id"] = f"WH-{seed[:17]}-{seed[17:34]}"
        body = json.dumps(event, separators=(",", ":")).encode()
        transmission = str(uuid.UUID(hex=seed[32:64]))
        signature = key.sign(
            signed_string(transmission, when, self.webhook_id, body), padding.PKCS1v15(), hashes.SHA256()
        )
        headers = {
            "content-type": "application/json",
            TRANSMISSION_ID: transmission,
            TRANSMISSION_TIME: when,
            TRANSMISSION_SIG: base64.b64encode(signature).decode(),
            CERT_URL: self.cert_url,
            AUTH_ALGO: "SHA256withRSA",
        }
        return HttpRequest.outgoing("POST", url, headers, body)
