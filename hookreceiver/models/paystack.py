"""Paystack webhook events: ``event`` and the object in ``data``."""

from __future__ import annotations

from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["PaystackEvent"]


class PaystackEvent(Envelope):
    """``event`` such as ``charge.success``; ``data`` the charge, transfer or subscription."""

    event: str
    data: dict[str, Any]
