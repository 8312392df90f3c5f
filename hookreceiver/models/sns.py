"""Amazon SNS HTTP/S messages: notifications and (un)subscription confirmations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from hookreceiver.models.base import Envelope

__all__ = ["SNSMessage"]


class SNSMessage(Envelope):
    """``Type`` is ``Notification``, ``SubscriptionConfirmation`` or ``UnsubscribeConfirmation``;
    ``Message`` is the published text (often JSON of your own: parse it yourself)."""

    Type: str
    MessageId: str
    TopicArn: str
    Message: str
    Timestamp: datetime
    Subject: str | None = None
    SignatureVersion: str | None = None
    SigningCertURL: str | None = None
    SubscribeURL: str | None = None
    UnsubscribeURL: str | None = None
    Token: str | None = None
    MessageAttributes: dict[str, Any] = Field(default_factory=dict)
