"""Paddle Billing notifications: ``event_type``, ``notification_id`` and the entity in ``data``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["PaddleEvent"]


class PaddleEvent(Envelope):
    """``event_type`` such as ``transaction.completed``; ``data`` is the entity (a transaction,
    subscription, customer ...) as a dict."""

    event_id: str
    event_type: str
    occurred_at: datetime
    notification_id: str | None = None
    data: dict[str, Any]
