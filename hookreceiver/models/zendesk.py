"""Zendesk event-subscription webhooks (``zen:event-type:...``); trigger bodies are your own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["ZendeskEvent"]


class ZendeskEvent(Envelope):
    """``type`` such as ``zen:event-type:ticket.created``; ``detail`` the ticket, user ... and
    ``event`` what changed."""

    type: str
    id: str
    time: datetime
    account_id: int
    subject: str | None = None
    detail: dict[str, Any] = {}
    event: dict[str, Any] = {}
    zendesk_event_version: str | None = None
