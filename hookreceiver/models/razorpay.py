"""Razorpay webhook events: ``event``, the entities it ``contains`` and their ``payload``."""

from __future__ import annotations

from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["RazorpayEvent"]


class RazorpayEvent(Envelope):
    """``payload`` maps each contained entity to ``{"entity": {...}}``:
    ``event.payload["payment"]["entity"]["id"]``."""

    entity: str = "event"
    account_id: str | None = None
    event: str
    contains: list[str] = []
    payload: dict[str, dict[str, Any]]
    created_at: int
