"""PayPal webhook events: ``event_type``, ``resource_type`` and the ``resource`` itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["PayPalEvent"]


class PayPalEvent(Envelope):
    """``id`` is ``WH-...``; ``event_type`` such as ``PAYMENT.CAPTURE.COMPLETED``."""

    id: str
    event_type: str
    resource_type: str | None = None
    resource: dict[str, Any] = {}
    create_time: datetime | None = None
    summary: str | None = None
    event_version: str | None = None
    resource_version: str | None = None
