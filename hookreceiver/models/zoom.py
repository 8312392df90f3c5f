"""Zoom webhook events: ``event``, ``event_ts`` (milliseconds) and ``payload.object``."""

from __future__ import annotations

from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["ZoomEvent", "ZoomPayload"]


class ZoomPayload(Envelope):
    account_id: str | None = None
    object: dict[str, Any] | None = None
    plainToken: str | None = None


class ZoomEvent(Envelope):
    event: str
    event_ts: int
    payload: ZoomPayload
