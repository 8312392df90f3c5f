"""SendGrid Event Webhook: one event of a batch (the body is a list of them)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hookreceiver.models.base import Envelope

__all__ = ["SendGridEvent"]


class SendGridEvent(Envelope):
    """``event``: ``processed``, ``delivered``, ``open``, ``click``, ``bounce``, ``dropped`` ..."""

    email: str
    event: str
    timestamp: int
    sg_event_id: str
    sg_message_id: str | None = None
    smtp_id: str | None = Field(default=None, alias="smtp-id")
    category: list[str] | str | None = None
    reason: str | None = None
    url: str | None = None
    extra: dict[str, Any] | None = None
