"""Stripe's event envelope (snapshot events, API v1): ``id``, ``type``, ``data.object`` and friends.

``data.object`` is a plain dict by default; parametrise the model with your own to type it:
``StripeEvent[Invoice]`` validates ``data.object`` into ``Invoice``.
"""

from __future__ import annotations

from typing import Any, Generic

from typing_extensions import TypeVar

from hookreceiver.models.base import Envelope

__all__ = ["StripeEvent", "StripeEventData", "StripeRequest"]

Obj = TypeVar("Obj", default=dict[str, Any])


class StripeEventData(Envelope, Generic[Obj]):
    """``data``: the object as it was when the event happened, plus what changed (updates)."""

    object: Obj
    previous_attributes: dict[str, Any] | None = None


class StripeRequest(Envelope):
    """``request``: the API request that caused the event (``id`` is None for automatic events)."""

    id: str | None = None
    idempotency_key: str | None = None


class StripeEvent(Envelope, Generic[Obj]):
    """A Stripe event as posted to a webhook endpoint (``object == "event"``)."""

    id: str
    object: str = "event"
    type: str
    created: int
    livemode: bool = False
    api_version: str | None = None
    account: str | None = None
    pending_webhooks: int | None = None
    request: StripeRequest | None = None
    data: StripeEventData[Obj]
