"""Asana webhook events: one element of ``events`` (each is its own delivery)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["AsanaEvent", "AsanaResource"]


class AsanaResource(Envelope):
    gid: str
    resource_type: str
    resource_subtype: str | None = None
    name: str | None = None


class AsanaEvent(Envelope):
    """``action``: ``changed``, ``added``, ``removed``, ``deleted``, ``undeleted``; ``change``
    says which field, for ``changed``."""

    action: str
    resource: AsanaResource
    parent: AsanaResource | None = None
    user: AsanaResource | None = None
    created_at: datetime | None = None
    change: dict[str, Any] | None = None
