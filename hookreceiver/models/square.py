"""Square webhook events: ``type``, ``event_id`` and ``data.object`` keyed by the object's type."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["SquareEvent", "SquareEventData"]


class SquareEventData(Envelope):
    """``object`` holds the changed object under its type name (``{"payment": {...}}``)."""

    type: str
    id: str
    object: dict[str, Any] = {}


class SquareEvent(Envelope):
    merchant_id: str | None = None
    type: str
    event_id: str
    created_at: datetime
    data: SquareEventData
