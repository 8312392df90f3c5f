"""Typeform webhooks: ``form_response`` events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["TypeformEvent", "TypeformResponse"]


class TypeformResponse(Envelope):
    form_id: str
    token: str
    submitted_at: datetime | None = None
    landed_at: datetime | None = None
    answers: list[dict[str, Any]] = []
    hidden: dict[str, Any] = {}
    calculated: dict[str, Any] = {}
    definition: dict[str, Any] | None = None


class TypeformEvent(Envelope):
    event_id: str
    event_type: str
    form_response: TypeformResponse
