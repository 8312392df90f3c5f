"""Vercel webhooks: ``type`` and its ``payload``."""

from __future__ import annotations

from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["VercelEvent"]


class VercelEvent(Envelope):
    """``type`` such as ``deployment.created``; ``createdAt`` in milliseconds."""

    id: str
    type: str
    createdAt: int
    payload: dict[str, Any]
    region: str | None = None
