"""Calendly webhook subscriptions: ``event`` and its ``payload`` (an invitee, a form submission)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["CalendlyWebhook"]


class CalendlyWebhook(Envelope):
    """``event`` such as ``invitee.created``; ``payload["uri"]`` names what it is about."""

    event: str
    created_at: datetime
    created_by: str | None = None
    payload: dict[str, Any]
