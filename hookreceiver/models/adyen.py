"""Adyen standard notifications: one ``NotificationRequestItem`` (each item is its own delivery)."""

from __future__ import annotations

from pydantic import Field

from hookreceiver.models.base import Envelope

__all__ = ["AdyenAmount", "AdyenNotificationItem"]


class AdyenAmount(Envelope):
    """Minor units: ``value=1000`` with ``currency="EUR"`` is 10.00 EUR."""

    currency: str
    value: int


class AdyenNotificationItem(Envelope):
    """Field names as Adyen spells them; ``success`` arrives as the text ``"true"``/``"false"``."""

    pspReference: str
    originalReference: str | None = None
    merchantAccountCode: str
    merchantReference: str | None = None
    eventCode: str
    eventDate: str | None = None
    success: bool
    amount: AdyenAmount | None = None
    paymentMethod: str | None = None
    reason: str | None = None
    operations: list[str] = []
    additionalData: dict[str, str] = Field(default_factory=dict)
