"""HubSpot webhook events: one element of the array HubSpot posts (each is its own delivery)."""

from __future__ import annotations

from hookreceiver.models.base import Envelope

__all__ = ["HubSpotEvent"]


class HubSpotEvent(Envelope):
    """``subscriptionType`` such as ``contact.propertyChange``; times in milliseconds."""

    eventId: int
    subscriptionId: int | None = None
    portalId: int
    appId: int | None = None
    occurredAt: int
    subscriptionType: str
    attemptNumber: int = 0
    objectId: int | None = None
    propertyName: str | None = None
    propertyValue: str | None = None
    changeSource: str | None = None
    changeFlag: str | None = None
