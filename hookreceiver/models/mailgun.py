"""Mailgun event webhooks: the ``signature`` object and the ``event-data`` it travels with."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hookreceiver.models.base import Envelope

__all__ = ["MailgunEventData", "MailgunSignature", "MailgunWebhook"]


class MailgunSignature(Envelope):
    timestamp: str
    token: str
    signature: str


class MailgunEventData(Envelope):
    """``event`` is ``delivered``, ``failed``, ``opened``, ``clicked``, ``complained`` ..."""

    id: str
    event: str
    timestamp: float
    recipient: str | None = None
    severity: str | None = None
    reason: str | None = None
    log_level: str | None = Field(default=None, alias="log-level")
    message: dict[str, Any] | None = None
    delivery_status: dict[str, Any] | None = Field(default=None, alias="delivery-status")
    tags: list[str] = []
    user_variables: dict[str, Any] = Field(default_factory=dict, alias="user-variables")


class MailgunWebhook(Envelope):
    signature: MailgunSignature
    event_data: MailgunEventData = Field(alias="event-data")
