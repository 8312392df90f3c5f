"""Google Pub/Sub push envelopes; ``data`` is the message data as the provider decoded it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["PubSubMessage", "PubSubPush"]


class PubSubMessage(Envelope):
    """``data`` here is the base64 text as sent; the decoded value is ``PubSubPush.data``."""

    data: str | None = None
    attributes: dict[str, str] = {}
    messageId: str
    publishTime: datetime
    orderingKey: str | None = None
    deliveryAttempt: int | None = None


class PubSubPush(Envelope):
    message: PubSubMessage
    subscription: str
    data: Any = None
