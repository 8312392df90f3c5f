"""Coinbase Commerce webhooks: the delivery wrapper and the ``event`` inside it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["CoinbaseEvent", "CoinbaseWebhook"]


class CoinbaseEvent(Envelope):
    """``type`` such as ``charge:confirmed``; ``data`` the charge or checkout."""

    id: str
    type: str
    resource: str = "event"
    api_version: str | None = None
    created_at: datetime | None = None
    data: dict[str, Any]


class CoinbaseWebhook(Envelope):
    """``id`` and ``attempt_number`` describe this delivery; ``event.id`` is the same on retries."""

    id: str
    scheduled_for: datetime | None = None
    attempt_number: int = 1
    event: CoinbaseEvent
