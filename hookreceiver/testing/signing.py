"""Correctly signed requests for any provider: a thin layer over each provider's ``sign()``.

``build_request`` is what ``hookreceiver send`` uses too, so a request a test builds and one the
command line posts are the same bytes for the same inputs.
"""

from __future__ import annotations

import secrets
import string
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from hookreceiver.core.delivery import HttpRequest
from hookreceiver.providers.base import Provider
from hookreceiver.testing.payloads import DEFAULT_TOPICS, sample

__all__ = ["DEFAULT_URL", "build_request", "new_delivery_id", "provider_named"]

DEFAULT_URL = "http://testserver/webhooks"


def _token(alphabet: str, size: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(size))


_ALNUM = string.ascii_letters + string.digits
# How each provider spells a delivery id; anything else gets a UUID (GitHub, GitLab, Shopify,
# Twilio's idempotency token, Generic's header).
_ID_STYLES: dict[str, Callable[[], str]] = {
    "stripe": lambda: "evt_" + _token(_ALNUM, 24),
    "slack": lambda: "Ev" + _token(string.ascii_uppercase + string.digits, 10),
    "standard-webhooks": lambda: "msg_" + _token(_ALNUM, 27),
    "svix": lambda: "msg_" + _token(_ALNUM, 27),
    "wechat": lambda: str(10**18 + secrets.randbelow(9 * 10**18)),  # MsgId: 19 digits
    "telegram": lambda: str(10**8 + secrets.randbelow(9 * 10**8)),  # update_id: 9 digits
    "discord": lambda: str(10**18 + secrets.randbelow(9 * 10**18)),  # a snowflake
    "mailgun": lambda: _token(_ALNUM, 22),
    "sendgrid": lambda: _token(_ALNUM + "-_", 22),
    "meta": lambda: "wamid." + _token(_ALNUM, 48),
    "feishu": lambda: _token("0123456789abcdef", 32),
    "lark": lambda: _token("0123456789abcdef", 32),
    "adyen": lambda: _token(string.digits, 16),  # pspReference
    "paddle": lambda: "ntf_" + _token(string.digits + string.ascii_lowercase, 26),
    "razorpay": lambda: _token(_ALNUM, 14),
}


def new_delivery_id(provider: str) -> str:
    """A random delivery id in the style of the provider named ``provider`` (a UUID by default)."""
    style = _ID_STYLES.get(provider)
    return style() if style is not None else str(uuid.uuid4())


def provider_named(name: str, secret: str | bytes | Iterable[str | bytes]) -> Provider:
    """A built-in provider by its ``PROVIDERS`` name, configured with ``secret`` and defaults."""
    from hookreceiver.providers import PROVIDERS

    if name not in PROVIDERS:
        raise LookupError(f"unknown provider {name!r}; known: {', '.join(sorted(PROVIDERS))}")
    return PROVIDERS[name](secret=secret)


def _topic(name: str, payload: Any, topic: str | None) -> str:
    if topic is not None:
        return topic
    if payload is None and name in DEFAULT_TOPICS:
        return DEFAULT_TOPICS[name]
    if isinstance(payload, dict) and isinstance(payload.get("type"), str) and payload["type"]:
        return str(payload["type"])
    raise ValueError("pass topic=: it cannot be read from this payload")


def build_request(
    provider: Provider | str,
    payload: Any = None,
    *,
    topic: str | None = None,
    secret: str | bytes | Iterable[str | bytes] | None = None,
    delivery_id: str | None = None,
    fresh_id: bool = False,
    timestamp: float | None = None,
    url: str = DEFAULT_URL,
    secret_index: int = 0,
) -> HttpRequest:
    """The request ``provider`` would send for ``payload``, signed as the receiver expects.

    ``provider`` is a configured provider (the one an endpoint uses: its secret signs), or a
    built-in provider's name together with ``secret``. Without ``payload`` the shipped sample
    for ``topic`` is used; without ``topic``, the provider's usual one (``invoice.paid`` for
    Stripe, ...) or the payload's ``type``. ``timestamp`` defaults to now: pass the receiver's
    clock when it is frozen. ``url`` is the URL the receiver sees (Twilio and WeChat sign it).
    The result carries ``method``, ``url`` (with any signed query), ``headers`` and ``body``.

    Without ``delivery_id`` the request keeps the payload's own id (a sample's is fixed), or the
    one the provider derives, so the same inputs make the same delivery (a duplicate, if sent
    twice; GitLab and Standard Webhooks senders make a new id every time). ``fresh_id=True``
    gives it a new random id in the provider's style instead (:func:`new_delivery_id`), so every
    call is a new delivery; it has no effect where the provider carries no id of its own (Slack
    interactions and commands, WeChat events, a Generic provider configured without one), which
    are deduplicated by content.
    """
    if fresh_id and delivery_id is not None:
        raise ValueError("pass delivery_id= or fresh_id=True, not both")
    if isinstance(provider, str):
        if secret is None:
            raise ValueError(f"pass secret= to sign as {provider!r}")
        signer = provider_named(provider, secret)
    else:
        if secret is not None:
            raise ValueError("secret= is only for a provider given by name; this one has its own")
        signer = provider
    name = signer.name
    topic = _topic(name, payload, topic)
    if payload is None:
        payload = sample(name, topic)
    if fresh_id:
        delivery_id = new_delivery_id(name)
    return signer.sign(
        payload,
        topic=topic,
        delivery_id=delivery_id,
        timestamp=time.time() if timestamp is None else timestamp,
        url=url,
        secret_index=secret_index,
    )
