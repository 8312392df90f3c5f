"""Standard Webhooks (and Svix): the recommended ``{type, timestamp, data}`` payload shape.

``data`` is a dict by default; ``StandardEvent[MyData]`` validates it into your own model.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic

from typing_extensions import TypeVar

from hookreceiver.models.base import Envelope

__all__ = ["StandardEvent"]

D = TypeVar("D", default=dict[str, Any])


class StandardEvent(Envelope, Generic[D]):
    """``type`` (e.g. ``invoice.paid``), when it happened, and the event's ``data``."""

    type: str
    timestamp: datetime
    data: D
