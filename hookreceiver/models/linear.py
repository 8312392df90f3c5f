"""Linear webhooks: ``type`` + ``action`` and the entity in ``data``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["LinearWebhook"]


class LinearWebhook(Envelope):
    """``type`` such as ``Issue``, ``action`` ``create``/``update``/``remove``; ``updatedFrom``
    holds the previous values of an update."""

    action: str
    type: str
    data: dict[str, Any]
    url: str | None = None
    createdAt: datetime | None = None
    organizationId: str | None = None
    webhookId: str | None = None
    webhookTimestamp: int
    updatedFrom: dict[str, Any] | None = None
