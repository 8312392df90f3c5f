"""Intercom webhook notifications: ``topic`` and the object in ``data.item``."""

from __future__ import annotations

from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["IntercomNotification", "IntercomNotificationData"]


class IntercomNotificationData(Envelope):
    item: dict[str, Any]


class IntercomNotification(Envelope):
    """``id`` is ``notif_...``; ``topic`` such as ``conversation.user.created``."""

    type: str = "notification_event"
    id: str
    topic: str
    app_id: str | None = None
    data: IntercomNotificationData
    delivery_attempts: int | None = None
    first_sent_at: int | None = None
    created_at: int | None = None
