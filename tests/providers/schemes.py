"""Every provider's signature scheme as one table, for tests that treat them all alike.

``SCHEMES`` has an entry for each provider class hookreceiver ships (``PROVIDERS`` and the ones
built with more than a secret: PayPal, SNS, Pub/Sub, WeCom, DingTalk), plus the second scheme of
providers that have two (Feishu/Lark with an Encrypt Key, GitLab's signing token, Standard
Webhooks ``v1a``, WeChat safe mode, Generic with a signed timestamp). A test checks that no
provider class is missing, so a new provider cannot be left out of the rejection tests, the
signature-attack tables or the fuzz targets, which all read this table.

Each entry says how to build the receiving side and the sending side for a key *label*
(``current``, ``retired``, ``other``), what the signature covers, and its time window:

- ``receiver(labels, **options)``: the provider an endpoint runs, trusting the keys named by
  ``labels`` (newest first), built as a user would (public halves for key pairs; a fetcher that
  serves the certificate or key set for certificate schemes).
- ``signer(label)``: the sending side, whose ``sign()`` (through the kit's ``build_request``)
  makes the request the real provider would send.
- ``covers_body``: whether the signature covers the raw body bytes. Where it does not, ``tamper``
  changes something the scheme does sign (a token, a signed field, the signed query).
- ``window``: the signed timestamp's window, or ``None`` where no time is signed (then an old
  request is as good as a new one, which a test checks, so this column stays true).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from hookreceiver.core.delivery import HttpRequest
from hookreceiver.exceptions import DeliveryError, SignatureError, StaleTimestamp
from hookreceiver.providers import (
    PROVIDERS,
    SNS,
    DingTalk,
    Feishu,
    Generic,
    GitLab,
    Lark,
    PayPal,
    Provider,
    PubSub,
    StandardWebhooks,
    WeChat,
    WeCom,
)
from hookreceiver.testing.certs import CertificatePair, certificate_pair
from hookreceiver.testing.keys import jwt_key_pair, key_pair
from hookreceiver.testing.signing import build_request

__all__ = [
    "CURRENT",
    "LABELS",
    "NOW",
    "OTHER",
    "RETIRED",
    "SCHEMES",
    "URL",
    "Scheme",
    "Window",
    "signed",
]

NOW = 1_700_000_000.0
URL = "https://hooks.example.com/in?tenant=7"
CURRENT, RETIRED, OTHER = "current", "retired", "other"
LABELS = (CURRENT, RETIRED, OTHER)
Options = Mapping[str, Any]


@dataclass(frozen=True)
class Window:
    """A signed timestamp's window: how old (``past``) and how far ahead (``future``) it may be,
    in seconds, and what a request outside it raises. ``default_off``: the provider checks no
    window unless configured (``tolerance=``), and the table's tests configure ``past``."""

    past: float
    future: float
    error: type[DeliveryError] = StaleTimestamp
    reason: str = "stale_timestamp"
    default_off: bool = False


@dataclass(frozen=True)
class Scheme:
    """One provider's signature scheme (see the module docstring)."""

    name: str
    provider: str
    receiver: Callable[..., Provider]
    signer: Callable[[str], Provider]
    payload: Any = None
    topic: str | None = None
    covers_body: bool = True
    tamper: Callable[[HttpRequest], HttpRequest] | None = None
    window: Window | None = None
    # The signature covers the message handlers get, though not the raw body around it (the
    # Encrypt value of WeCom, DingTalk and WeChat safe mode): whatever passes carries that message.
    sealed: bool = False
    rotates: bool = True  # the endpoint holds a list of keys (False: the key comes with the request)
    headers: tuple[str, ...] = ()  # where the signature (or token) travels, lower-cased headers
    query: tuple[str, ...] = ()  # or these query parameters (WeChat, WeCom, DingTalk)
    notes: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


def signed(
    scheme: Scheme,
    label: str = CURRENT,
    *,
    timestamp: float = NOW,
    url: str = URL,
) -> HttpRequest:
    """The request ``scheme``'s sender makes, signed with the key ``label``, at ``timestamp``."""
    return build_request(
        scheme.signer(label), scheme.payload, topic=scheme.topic, timestamp=timestamp, url=url
    )


# -- keys by label ----------------------------------------------------------------------------------


def shared(label: str) -> str:
    """The plain secret every HMAC and token provider is given for ``label``: the same string for
    all of them, so a request signed for one provider under it is a fair test of another."""
    return f"shared-{label}-secret_7f3a9c"


def _whsec(label: str) -> str:
    return "whsec_" + base64.b64encode(hashlib.sha256(shared(label).encode()).digest()[:24]).decode()


def _adyen(label: str) -> str:
    return hashlib.sha256(shared(label).encode()).hexdigest().upper()


_SECRET_FORMS: dict[str, Callable[[str], str]] = {
    "adyen": _adyen,
    "standard-webhooks": _whsec,
    "svix": _whsec,
    "postmark": lambda label: "hooks:" + shared(label),
}


def secret(name: str, label: str) -> str:
    """The secret for a ``PROVIDERS`` name and key label, in the form that provider takes."""
    return _SECRET_FORMS.get(name, shared)(label)


def _named(name: str) -> Scheme:
    """A ``PROVIDERS`` entry configured with its secret alone (the kit's ``provider_named``)."""
    factory = PROVIDERS[name]

    def receiver(labels: Sequence[str], **options: Any) -> Provider:
        return factory(secret=[secret(name, label) for label in labels], **options)

    return Scheme(
        name=name, provider=name, receiver=receiver, signer=lambda label: factory(secret=secret(name, label))
    )


def _keyed(name: str) -> Scheme:
    """Discord and SendGrid: the sender signs with a private key, the endpoint holds public keys."""
    factory = PROVIDERS[name]

    def receiver(labels: Sequence[str], **options: Any) -> Provider:
        return factory(secret=[key_pair(name, label).public for label in labels], **options)

    return Scheme(
        name=name,
        provider=name,
        receiver=receiver,
        signer=lambda label: factory(secret=key_pair(name, label).private),
    )


# -- tampering with what a scheme signs when it does not sign the body ---------------------------


def _with_header(request: HttpRequest, header: str, change: Callable[[str], str]) -> HttpRequest:
    return replace(request, headers={**request.headers, header: change(request.headers[header])})


def _last_char_changed(value: str) -> str:
    return value[:-1] + ("A" if value[-1] != "A" else "B")


def _with_json(request: HttpRequest, change: Callable[[Any], None]) -> HttpRequest:
    document = json.loads(request.body)
    change(document)
    return replace(request, body=json.dumps(document, separators=(",", ":")).encode())


def _with_query(request: HttpRequest, name: str, change: Callable[[str], str]) -> HttpRequest:
    parts = urlsplit(request.url)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    params[name] = change(params[name])
    query = urlencode(params)
    return replace(request, url=parts._replace(query=query).geturl(), query_string=query)


_ENCRYPT = re.compile(rb'(<Encrypt><!\[CDATA\[|"encrypt": ?")(.)')


def _encrypt_changed(request: HttpRequest) -> HttpRequest:
    """The request with the first character of its ``Encrypt`` / ``encrypt`` value changed."""
    match = _ENCRYPT.search(request.body)
    assert match is not None, request.body[:80]
    swapped = b"B" if match.group(2) != b"B" else b"C"
    body = request.body[: match.start(2)] + swapped + request.body[match.end(2) :]
    return replace(request, body=body)


def _adyen_amount(document: Any) -> None:
    item = document["notificationItems"][0]["NotificationRequestItem"]
    item["amount"]["value"] = int(item["amount"]["value"]) + 1


def _feishu_token(document: Any) -> None:
    document["header"]["token"] = _last_char_changed(document["header"]["token"])


def _mailgun_token(document: Any) -> None:
    document["signature"]["token"] = _last_char_changed(document["signature"]["token"])


def _sns_message(document: Any) -> None:
    document["Message"] = document["Message"] + " "


def _basic_password(value: str) -> str:
    scheme, _, encoded = value.partition(" ")
    user, _, password = base64.b64decode(encoded).decode().partition(":")
    changed = base64.b64encode(f"{user}:{_last_char_changed(password)}".encode()).decode()
    return f"{scheme} {changed}"


def _jwt_claims(value: str) -> str:
    """The bearer token with its claims re-encoded to name another service account."""
    scheme, _, token = value.partition(" ")
    head, claims, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    decoded["email"] = "attacker@evil.example"
    forged = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=").decode()
    return f"{scheme} {head}.{forged}.{signature}"


# -- certificate and key-set schemes ------------------------------------------------------------------

PAYPAL_WEBHOOK_ID = "1JE4291016473214C"
PAYPAL_CERT_URL = "https://api.paypal.com/v1/notifications/certs/CERT-schemes-table"
SNS_ARN = "arn:aws:sns:us-east-1:123456789012:orders"
SNS_CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-schemes.pem"
PUBSUB_AUDIENCE = "https://hooks.example.com/in"
PUBSUB_ACCOUNT = "pusher@hookreceiver-test.iam.gserviceaccount.com"
WECOM_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
WECOM_CORP = "ww0123456789abcdef"
DINGTALK_OWNER = "ding0123456789abcdef"
FEISHU_TOKEN = "v_token_schemes"
ENCRYPTED = (
    "SHA-1 over token, timestamp, nonce and the Encrypt value (the whole message, encrypted);"
    " the envelope around it is not signed"
)


def _paypal_pair(label: str) -> CertificatePair:
    return certificate_pair(f"schemes-paypal-{label}", "messageverificationcerts.paypal.com")


def _sns_pair(label: str) -> CertificatePair:
    return certificate_pair(f"schemes-sns-{label}", "sns.amazonaws.com")


def _serving(pem: bytes) -> Callable[[str], bytes]:
    """An injected fetcher serving one certificate (or key set) for any allowed URL: no network."""
    return lambda url: pem


def _paypal_receiver(labels: Sequence[str], **options: Any) -> Provider:
    (label,) = labels  # the certificate the request names is the key; there is no list to rotate
    return PayPal(
        webhook_id=PAYPAL_WEBHOOK_ID, fetch=_serving(_paypal_pair(label).certificate_pem), **options
    )


def _paypal_signer(label: str) -> Provider:
    return PayPal(
        webhook_id=PAYPAL_WEBHOOK_ID, signing_key=_paypal_pair(label).private_pem, cert_url=PAYPAL_CERT_URL
    )


def _sns_receiver(labels: Sequence[str], **options: Any) -> Provider:
    (label,) = labels
    return SNS(topic_arns=[SNS_ARN], fetch=_serving(_sns_pair(label).certificate_pem), **options)


def _sns_signer(label: str) -> Provider:
    return SNS(topic_arns=[SNS_ARN], signing_key=_sns_pair(label).private_pem, cert_url=SNS_CERT_URL)


def _jwt(label: str) -> Any:
    return jwt_key_pair(f"schemes-{label}")


def _pubsub_receiver(labels: Sequence[str], **options: Any) -> Provider:
    (label,) = labels  # Google's published key set, fetched; no list of secrets on the endpoint
    return PubSub(
        audience=PUBSUB_AUDIENCE, service_account=PUBSUB_ACCOUNT, fetch=_serving(_jwt(label).jwks), **options
    )


def _pubsub_signer(label: str) -> Provider:
    # Every label signs under the current key id, so another key is a wrong key, not an unknown one.
    return PubSub(
        audience=PUBSUB_AUDIENCE,
        service_account=PUBSUB_ACCOUNT,
        signing_key=_jwt(label).private,
        key_id=_jwt(CURRENT).key_id,
    )


def _wecom(labels: Sequence[str], **options: Any) -> Provider:
    return WeCom(
        secret=[shared(label) for label in labels], aes_key=WECOM_AES_KEY, corp_id=WECOM_CORP, **options
    )


def _dingtalk(labels: Sequence[str], **options: Any) -> Provider:
    return DingTalk(
        secret=[shared(label) for label in labels], aes_key=WECOM_AES_KEY, owner_key=DINGTALK_OWNER, **options
    )


def _encrypted(cls: type[Feishu]) -> Callable[..., Provider]:
    def build(labels: Sequence[str], **options: Any) -> Provider:
        # Rotation is of the Encrypt Key only one at a time in Feishu's console: the endpoint
        # holds one key, so rotation is tested on the token list instead.
        (label,) = labels
        return cls(secret=FEISHU_TOKEN, encrypt_key=shared(label), **options)

    return build


def _gitlab_signing(labels: Sequence[str], **options: Any) -> Provider:
    return GitLab(signing_token=[_whsec(label) for label in labels], **options)


def _v1a(labels: Sequence[str], **options: Any) -> Provider:
    return StandardWebhooks(
        secret=[key_pair("standard-webhooks", label).public for label in labels], **options
    )


def _wechat_safe(labels: Sequence[str], **options: Any) -> Provider:
    return WeChat(
        secret=[shared(label) for label in labels],
        aes_key=WECOM_AES_KEY,
        app_id="wx0123456789abcdef",
        **options,
    )


def _generic_timestamped(labels: Sequence[str], **options: Any) -> Provider:
    return Generic(
        secret=[shared(label) for label in labels],
        signed_content="{timestamp}.{body}",
        timestamp_header="x-timestamp",
        **options,
    )


# The header that carries each name-table provider's signature or token; the rest carry it in the
# body (Adyen, Feishu/Lark's token, Mailgun) or the query (WeChat).
SIGNATURE_HEADERS = {
    "asana": "x-hook-signature",
    "bitbucket": "x-hub-signature",
    "calendly": "calendly-webhook-signature",
    "coinbase": "x-cc-webhook-signature",
    "discord": "x-signature-ed25519",
    "dropbox": "x-dropbox-signature",
    "generic": "x-signature",
    "github": "x-hub-signature-256",
    "gitlab": "x-gitlab-token",
    "hubspot": "x-hubspot-signature-v3",
    "intercom": "x-hub-signature",
    "linear": "linear-signature",
    "meta": "x-hub-signature-256",
    "paddle": "paddle-signature",
    "paystack": "x-paystack-signature",
    "postmark": "authorization",
    "razorpay": "x-razorpay-signature",
    "sendgrid": "x-twilio-email-event-webhook-signature",
    "sentry": "sentry-hook-signature",
    "shopify": "x-shopify-hmac-sha256",
    "slack": "x-slack-signature",
    "square": "x-square-hmacsha256-signature",
    "standard-webhooks": "webhook-signature",
    "stripe": "stripe-signature",
    "svix": "svix-signature",
    "telegram": "x-telegram-bot-api-secret-token",
    "twilio": "x-twilio-signature",
    "twitch": "twitch-eventsub-message-signature",
    "typeform": "typeform-signature",
    "vercel": "x-vercel-signature",
    "zendesk": "x-zendesk-webhook-signature",
    "zoom": "x-zm-signature",
}


def _table() -> dict[str, Scheme]:
    keyed = {"discord", "sendgrid"}
    table = {name: (_keyed(name) if name in keyed else _named(name)) for name in PROVIDERS}
    five_minutes = Window(300, 300)

    def update(name: str, **changes: Any) -> None:
        table[name] = replace(table[name], **changes)

    # Where the signature (or token) travels, for the header attacks of tests/hostile.
    for name, header in SIGNATURE_HEADERS.items():
        update(name, headers=(header,))

    # Time windows (the provider's default tolerance; default_off where it checks none unless asked).
    for name in (
        "discord",
        "hubspot",
        "slack",
        "standard-webhooks",
        "svix",
        "stripe",
        "wechat",
        "zendesk",
        "zoom",
    ):
        update(name, window=five_minutes)
    update("calendly", window=Window(180, 180))
    update("linear", window=Window(60, 60))
    update("mailgun", window=Window(900, 900))
    update("paddle", window=Window(5, 5))
    update("twitch", window=Window(600, 600))
    update("sendgrid", window=Window(300, 300, default_off=True))

    # What the signature covers where it is not the raw body.
    update(
        "adyen",
        covers_body=False,
        tamper=lambda r: _with_json(r, _adyen_amount),
        notes="HMAC over eight fields of each item (amount, references, event code ...), not the body",
    )
    for name in ("feishu", "lark"):
        update(
            name,
            covers_body=False,
            tamper=lambda r: _with_json(r, _feishu_token),
            notes="without an Encrypt Key only the Verification Token in the body is checked",
        )
    update(
        "gitlab",
        covers_body=False,
        tamper=lambda r: _with_header(r, "x-gitlab-token", _last_char_changed),
        notes="X-Gitlab-Token is the secret itself; nothing is signed",
    )
    update(
        "telegram",
        covers_body=False,
        tamper=lambda r: _with_header(r, "x-telegram-bot-api-secret-token", _last_char_changed),
        notes="the secret token header is the secret itself; nothing is signed",
    )
    update(
        "postmark",
        covers_body=False,
        tamper=lambda r: _with_header(r, "authorization", _basic_password),
        notes="HTTP basic auth: a shared password, nothing is signed",
    )
    update(
        "mailgun",
        covers_body=False,
        tamper=lambda r: _with_json(r, _mailgun_token),
        notes="HMAC over timestamp + token only; the event data is not signed",
    )
    update(
        "wechat",
        covers_body=False,
        tamper=lambda r: _with_query(r, "nonce", _last_char_changed),
        query=("signature",),
        notes="plain mode signs token, timestamp and nonce, not the body; a nonce cache refuses a replay",
    )

    extra: list[Scheme] = [
        Scheme(
            name="paypal",
            provider="paypal",
            receiver=_paypal_receiver,
            signer=_paypal_signer,
            payload={"resource": {"id": "42311647XV020574X"}},
            topic="PAYMENT.CAPTURE.COMPLETED",
            window=Window(300, 300, default_off=True),
            rotates=False,
            headers=("paypal-transmission-sig",),
            notes="SHA256withRSA over id|time|webhook_id|crc32(body) under the certificate the request names",
        ),
        Scheme(
            name="sns",
            provider="sns",
            receiver=_sns_receiver,
            signer=_sns_signer,
            payload={"order": 7},
            topic="Notification",
            covers_body=False,
            tamper=lambda r: _with_json(r, _sns_message),
            window=Window(300, 300, default_off=True),
            rotates=False,
            notes="RSA over fixed fields of the JSON body (Message, MessageId, Timestamp, TopicArn ...)",
        ),
        Scheme(
            name="pubsub",
            provider="pubsub",
            receiver=_pubsub_receiver,
            signer=_pubsub_signer,
            payload={"order": 7},
            topic="orders-push",
            covers_body=False,
            tamper=lambda r: _with_header(r, "authorization", _jwt_claims),
            window=Window(3600 + 60, 60, error=SignatureError, reason="expired_token"),
            rotates=False,
            headers=("authorization",),
            notes="an OIDC token names the sender; it does not sign the body (Google's design)",
        ),
        Scheme(
            name="wecom",
            provider="wecom",
            receiver=_wecom,
            signer=lambda label: _wecom([label]),
            payload={"Content": "hello"},
            topic="text",
            covers_body=False,
            sealed=True,
            tamper=_encrypt_changed,
            window=Window(300, 300, default_off=True),
            query=("msg_signature",),
            notes=ENCRYPTED,
        ),
        Scheme(
            name="dingtalk",
            provider="dingtalk",
            receiver=_dingtalk,
            signer=lambda label: _dingtalk([label]),
            payload={"UserId": ["manager7"]},
            topic="user_add_org",
            covers_body=False,
            sealed=True,
            tamper=_encrypt_changed,
            window=Window(300, 300, default_off=True),
            query=("msg_signature",),
            notes=ENCRYPTED + " (timestamp in ms)",
        ),
        Scheme(
            name="feishu+encrypt-key",
            provider="feishu",
            receiver=_encrypted(Feishu),
            signer=lambda label: _encrypted(Feishu)([label]),
            window=Window(300, 300, default_off=True),
            rotates=False,
            headers=("x-lark-signature",),
            notes="SHA-256 of timestamp + nonce + Encrypt Key + body",
        ),
        Scheme(
            name="lark+encrypt-key",
            provider="lark",
            receiver=_encrypted(Lark),
            signer=lambda label: _encrypted(Lark)([label]),
            window=Window(300, 300, default_off=True),
            rotates=False,
            headers=("x-lark-signature",),
        ),
        Scheme(
            name="gitlab+signing-token",
            provider="gitlab",
            receiver=_gitlab_signing,
            signer=lambda label: _gitlab_signing([label]),
            window=five_minutes,
            headers=("webhook-signature",),
            notes="Standard Webhooks v1 headers under GitLab's signing token",
        ),
        Scheme(
            name="standard-webhooks+v1a",
            provider="standard-webhooks",
            receiver=_v1a,
            signer=lambda label: StandardWebhooks(secret=key_pair("standard-webhooks", label).private),
            window=five_minutes,
            headers=("webhook-signature",),
            notes="Ed25519 over id.timestamp.body",
        ),
        Scheme(
            name="wechat+aes",
            provider="wechat",
            receiver=_wechat_safe,
            signer=lambda label: _wechat_safe([label]),
            covers_body=False,
            sealed=True,
            tamper=_encrypt_changed,
            window=five_minutes,
            query=("signature", "msg_signature"),
            notes="safe mode: " + ENCRYPTED,
        ),
        Scheme(
            name="generic+timestamp",
            provider="generic",
            receiver=_generic_timestamped,
            signer=lambda label: _generic_timestamped([label]),
            window=five_minutes,
            headers=("x-signature",),
        ),
    ]
    table.update({scheme.name: scheme for scheme in extra})
    return dict(sorted(table.items()))


SCHEMES: dict[str, Scheme] = _table()
