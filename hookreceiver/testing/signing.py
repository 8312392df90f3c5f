"""Correctly signed requests for any provider: a thin layer over each provider's ``sign()``.

``build_request`` is what ``hookreceiver send`` uses too, so a request a test builds and one the
command line posts are the same bytes for the same inputs.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from hookreceiver.core.delivery import HttpRequest
from hookreceiver.providers.base import Signer
from hookreceiver.testing.payloads import DEFAULT_TOPICS, sample

__all__ = ["DEFAULT_URL", "build_request", "provider_named"]

DEFAULT_URL = "http://testserver/webhooks"


def provider_named(name: str, secret: str | bytes | Iterable[str | bytes]) -> Signer:
    """A built-in provider by its ``PROVIDERS`` name, configured with ``secret`` and defaults."""
    from hookreceiver.providers import PROVIDERS

    if name not in PROVIDERS:
        raise LookupError(f"unknown provider {name!r}; known: {', '.join(sorted(PROVIDERS))}")
    provider: Any = PROVIDERS[name](secret=secret)  # type: ignore[call-arg]  # every one takes secret=
    if not isinstance(provider, Signer):
        raise TypeError(f"provider {name!r} cannot sign requests")
    return provider


def _topic(name: str, payload: Any, topic: str | None) -> str:
    if topic is not None:
        return topic
    if payload is None and name in DEFAULT_TOPICS:
        return DEFAULT_TOPICS[name]
    if isinstance(payload, dict) and isinstance(payload.get("type"), str) and payload["type"]:
        return str(payload["type"])
    raise ValueError("pass topic=: it cannot be read from this payload")


def build_request(
    provider: Signer | str,
    payload: Any = None,
    *,
    topic: str | None = None,
    secret: str | bytes | Iterable[str | bytes] | None = None,
    delivery_id: str | None = None,
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
    """
    if isinstance(provider, str):
        if secret is None:
            raise ValueError(f"pass secret= to sign as {provider!r}")
        signer = provider_named(provider, secret)
    else:
        if secret is not None:
            raise ValueError("secret= is only for a provider given by name; this one has its own")
        signer = provider
    name = str(getattr(signer, "name", ""))
    topic = _topic(name, payload, topic)
    if payload is None:
        payload = sample(name, topic)
    return signer.sign(
        payload, topic=topic, delivery_id=delivery_id,
        timestamp=time.time() if timestamp is None else timestamp, url=url,
        secret_index=secret_index,
    )
