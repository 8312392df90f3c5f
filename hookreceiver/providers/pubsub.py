"""Google Cloud Pub/Sub push subscriptions: an OIDC token (RS256 JWT) in ``Authorization``.

A push subscription with authentication sends ``Authorization: Bearer <JWT>``, an ID token
Google signs for the subscription's service account. The token is checked here in full:

- the header says ``RS256`` and names a ``kid`` found in Google's published key set (JWKS),
  fetched from ``https://www.googleapis.com/oauth2/v3/certs`` through a ``FetchedCache``
  (allow-listed to that URL, TTL- and size-bounded, no redirects; ``fetch=`` replaces the
  fetcher, so tests serve a key set of their own). An unknown ``kid`` refetches the set once it
  is a minute old, as Google rotates keys;
- the RSA signature over ``header.payload``;
- ``iss`` is ``https://accounts.google.com`` (or ``accounts.google.com``), ``aud`` one of your
  ``audience=`` values (what you set on the subscription; by default its push URL), ``exp`` and
  ``iat`` within ``leeway`` of the clock;
- ``email`` is one of your ``service_account=`` addresses and ``email_verified`` is true. This
  check matters most: anyone can get a Google-signed token for any audience from a service
  account of their own.

The body is ``{"message": {"data", "attributes", "messageId", "publishTime", ...},
"subscription"}``. The payload a handler sees is that envelope plus ``data``: the message data
base64-decoded, then parsed as JSON when it is JSON (else text; ``None`` if not UTF-8, when
only ``message.data`` has it). The delivery id is ``messageId``; the topic the subscription's
short name, or an attribute you name (``topic_attribute="eventType"`` for Cloud Storage).
Only the wrapped push format is accepted (not "unwrapped" payload delivery).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError
from hookreceiver.providers.base import BaseProvider, Identity, lookup
from hookreceiver.providers.certs import FetchedCache, Fetcher, fetch_https
from hookreceiver.providers.common import iso_time, json_bytes, parse_rfc3339

__all__ = ["GOOGLE_ISSUERS", "GOOGLE_JWKS_URL", "PubSub", "parse_jwks"]

GOOGLE_JWKS_URL = "https://www.googleapis.com/oauth2/v3/certs"
GOOGLE_ISSUERS = frozenset({"https://accounts.google.com", "accounts.google.com"})
MAX_TOKEN = 8192
REFETCH_AFTER = 60.0  # an unknown kid refetches a key set at least this old
KeySet = Mapping[str, rsa.RSAPublicKey]


def _b64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise SignatureError("the token is not base64url", reason="bad_token") from None


def _uint(text: Any) -> int:
    if not isinstance(text, str):
        raise ValueError("a JWK number is a base64url string")
    return int.from_bytes(_b64url(text), "big")


def parse_jwks(data: bytes) -> KeySet:
    """A JWK Set's RSA signing keys by ``kid`` (other keys are skipped); ``ValueError`` if it
    is not a JWK Set."""
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("not JSON") from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise ValueError("not a JWK Set")
    found: dict[str, rsa.RSAPublicKey] = {}
    for key in keys:
        if not isinstance(key, dict) or key.get("kty") != "RSA" or key.get("use", "sig") != "sig":
            continue
        kid = key.get("kid")
        if isinstance(kid, str) and kid:
            try:
                found[kid] = rsa.RSAPublicNumbers(_uint(key.get("e")), _uint(key.get("n"))).public_key()
            except (ValueError, SignatureError):
                continue
    return found


def _part(text: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64url(text))
    except (ValueError, UnicodeDecodeError):
        raise SignatureError("the token is not a JWT", reason="bad_token") from None
    if not isinstance(value, dict):
        raise SignatureError("the token is not a JWT", reason="bad_token")
    return value


def _names(value: str | Iterable[str] | None, what: str) -> tuple[str, ...]:
    items = (value,) if isinstance(value, str) else tuple(value or ())
    if not items or not all(isinstance(i, str) and i for i in items):
        raise ConfigurationError(f"name at least one {what}")
    return items


def _number(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SignatureError(f"the token has no numeric {name}", reason="bad_token")
    return float(value)


class PubSub(BaseProvider):
    """Pub/Sub push with authentication: ``audience`` and ``service_account`` are required.

    ``signing_key`` (a PEM RSA private key) and ``key_id`` let ``sign()`` mint test tokens; pair
    them with ``fetch=`` serving the matching JWKS (``hookreceiver.testing.keys.jwt_key_pair``).
    """

    name: ClassVar[str] = "pubsub"
    formats: frozenset[Format] = frozenset({"json"})

    def __init__(
        self,
        *,
        audience: str | Iterable[str],
        service_account: str | Iterable[str],
        fetch: Fetcher = fetch_https,
        keys: FetchedCache[KeySet] | None = None,
        jwks_url: str = GOOGLE_JWKS_URL,
        leeway: float = 60.0,
        topic_attribute: str | None = None,
        signing_key: str | None = None,
        key_id: str = "hookreceiver-test-key",
    ) -> None:
        self.audiences = _names(audience, "audience")
        self.service_accounts = _names(service_account, "service account email")
        self.jwks_url = jwks_url
        self.keys = keys or FetchedCache(
            allow=lambda url: url == jwks_url, parse=parse_jwks, fetch=fetch, what="Google key set"
        )
        self.leeway = leeway
        self.topic_attribute = topic_attribute
        self._signing_key: rsa.RSAPrivateKey | None = None
        if signing_key is not None:
            loaded = serialization.load_pem_private_key(signing_key.encode(), password=None)
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise ConfigurationError("signing_key must be an RSA private key")
            self._signing_key = loaded
        self.key_id = key_id

    def __repr__(self) -> str:
        return f"PubSub(audiences={len(self.audiences)}, service_accounts={list(self.service_accounts)!r})"

    def _key(self, kid: str, now: float) -> rsa.RSAPublicKey:
        key = self.keys.get(self.jwks_url, now=now).get(kid)
        if key is None:  # perhaps rotated since we fetched: look again, at most once a minute
            key = self.keys.get(self.jwks_url, now=now, max_age=REFETCH_AFTER).get(kid)
        if key is None:
            raise SignatureError("the token's key is not in Google's key set", reason="unknown_key")
        return key

    def verify(self, request: HttpRequest, *, now: float) -> int:
        scheme, _, token = (request.header("authorization") or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise SignatureError("missing Authorization: Bearer <token>", reason="missing_signature")
        if len(token) > MAX_TOKEN or token.count(".") != 2:
            raise SignatureError("the bearer token is not a JWT", reason="bad_token")
        head_text, claims_text, signature_text = token.split(".")
        header = _part(head_text)
        if header.get("alg") != "RS256":
            raise SignatureError("the token is not signed with RS256", reason="bad_token")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise SignatureError("the token names no key id", reason="bad_token")
        key = self._key(kid, now)
        try:
            key.verify(
                _b64url(signature_text),
                f"{head_text}.{claims_text}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            raise SignatureError("the token's signature does not verify") from None
        return self._check_claims(_part(claims_text), now)

    def _check_claims(self, claims: Mapping[str, Any], now: float) -> int:
        if claims.get("iss") not in GOOGLE_ISSUERS:
            raise SignatureError("the token was not issued by Google", reason="bad_issuer")
        audiences = claims.get("aud")
        offered = (
            [audiences] if isinstance(audiences, str) else audiences if isinstance(audiences, list) else []
        )
        if not any(a in self.audiences for a in offered):
            raise SignatureError("the token is for another audience", reason="bad_audience")
        if _number(claims, "exp") + self.leeway < now:
            raise SignatureError("the token has expired", reason="expired_token")
        if _number(claims, "iat") - self.leeway > now:
            raise SignatureError("the token was issued in the future", reason="expired_token")
        email = claims.get("email")
        if email not in self.service_accounts or claims.get("email_verified") is not True:
            raise SignatureError("the token is for another service account", reason="bad_service_account")
        return self.service_accounts.index(str(email))

    def decode(self, request: HttpRequest) -> Any:
        envelope = super().decode(request)
        message = envelope.get("message") if isinstance(envelope, dict) else None
        if not isinstance(message, dict):
            raise PayloadError("the body is not a Pub/Sub push envelope", reason="bad_payload")
        data = message.get("data")
        decoded: Any = None
        if isinstance(data, str):
            try:
                raw = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                raise PayloadError("message.data is not base64", reason="bad_payload") from None
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is not None:
                try:
                    decoded = json.loads(text)
                except ValueError:
                    decoded = text
        return {**envelope, "data": decoded}

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        message = payload["message"]
        subscription = _text(payload.get("subscription"))
        topic = self._topic(message, subscription.rsplit("/", 1)[-1] if subscription else "")
        if not topic:
            raise PayloadError("the push names no subscription", reason="missing_topic")
        published = message.get("publishTime") or message.get("publish_time")
        return Identity(
            topic=topic,
            delivery_id=_text(message.get("messageId") or message.get("message_id")),
            sent_at=parse_rfc3339(published) if isinstance(published, str) else None,
            meta=_meta(payload, subscription),
        )

    def _topic(self, message: Any, short: str) -> str:
        """The ``topic_attribute`` attribute if configured and set, else the subscription's short name."""
        if self.topic_attribute is None:
            return short
        attributes = message.get("attributes")
        chosen = attributes.get(self.topic_attribute) if isinstance(attributes, dict) else None
        return _text(chosen) or short

    def token(self, *, audience: str, email: str, issued_at: float, lifetime: float = 3600.0) -> str:
        """An ID token as Google would mint it for ``email``, signed with ``signing_key``."""
        if self._signing_key is None:
            raise ConfigurationError("sign() and token() need signing_key= (a test RSA key)")
        header = {"alg": "RS256", "kid": self.key_id, "typ": "JWT"}
        stamp = int(issued_at)
        claims = {
            "aud": audience,
            "azp": hashlib.sha256(email.encode()).hexdigest()[:21],
            "email": email,
            "email_verified": True,
            "exp": stamp + int(lifetime),
            "iat": stamp,
            "iss": "https://accounts.google.com",
            "sub": str(int(hashlib.sha256(email.encode()).hexdigest()[:15], 16)),
        }
        head = base64.urlsafe_b64encode(json_bytes(header)).rstrip(b"=")
        body = base64.urlsafe_b64encode(json_bytes(claims)).rstrip(b"=")
        signature = self._signing_key.sign(head + b"." + body, padding.PKCS1v15(), hashes.SHA256())
        return b".".join((head, body, base64.urlsafe_b64encode(signature).rstrip(b"="))).decode()

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
        """The push Pub/Sub would send: ``payload`` becomes the base64 JSON ``message.data``;
        ``topic`` names the subscription (or, with ``topic_attribute``, sets that attribute);
        the token is for the first audience and service account ``secret_index``."""
        data = base64.b64encode(json_bytes(payload)).decode()
        message_id = delivery_id or str(
            int(hashlib.sha256(f"{topic}:{timestamp}:{data}".encode()).hexdigest()[:15], 16)
        )
        attributes: dict[str, str] = {}
        subscription = f"projects/hookreceiver-test/subscriptions/{topic}"
        if self.topic_attribute is not None:
            attributes[self.topic_attribute] = topic
            subscription = "projects/hookreceiver-test/subscriptions/push"
        published = iso_time(timestamp).replace("Z", ".000Z")
        message = {
            "attributes": attributes,
            "data": data,
            "messageId": message_id,
            "message_id": message_id,
            "publishTime": published,
            "publish_time": published,
        }
        body = json_bytes({"message": message, "subscription": subscription})
        token = self.token(
            audience=self.audiences[0], email=self.service_accounts[secret_index], issued_at=timestamp
        )
        headers = {
            "content-type": "application/json",
            "user-agent": "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)",
            "authorization": f"Bearer {token}",
        }
        return HttpRequest.outgoing("POST", url, headers, body)


def _text(value: Any) -> str | None:
    """``value`` if it is a non-empty string, else ``None``."""
    return value if isinstance(value, str) and value else None


def _meta(payload: Any, subscription: str | None) -> dict[str, str]:
    """The subscription, ordering key and delivery attempt, where the push carries them."""
    meta = {"subscription": subscription} if subscription else {}
    for key, path in (("ordering_key", "orderingKey"), ("delivery_attempt", "deliveryAttempt")):
        value = lookup(payload, f"message.{path}")
        if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
            meta[key] = str(value)
    return meta
