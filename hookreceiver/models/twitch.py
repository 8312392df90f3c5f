"""Twitch EventSub webhook messages: the ``subscription`` and its ``event`` (or ``challenge``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["TwitchMessage", "TwitchSubscription"]


class TwitchSubscription(Envelope):
    id: str
    status: str
    type: str
    version: str
    cost: int | None = None
    condition: dict[str, Any] = {}
    transport: dict[str, Any] = {}
    created_at: datetime


class TwitchMessage(Envelope):
    """A notification has ``event``; a callback verification ``challenge``; a revocation neither."""

    subscription: TwitchSubscription
    event: dict[str, Any] | None = None
    challenge: str | None = None
