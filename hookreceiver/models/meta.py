"""Meta webhooks (WhatsApp Cloud API, Messenger, Graph): the batched ``object``/``entry`` envelope."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hookreceiver.models.base import Envelope

__all__ = ["MetaChange", "MetaEntry", "MetaWebhook", "WhatsAppMessage", "WhatsAppValue"]


class WhatsAppMessage(Envelope):
    id: str
    type: str
    timestamp: str | None = None
    from_: str | None = Field(default=None, alias="from")  # the sender's WhatsApp id
    text: dict[str, Any] | None = None


class WhatsAppValue(Envelope):
    """A WhatsApp change's ``value``: the batch's ``messages`` and ``statuses``."""

    messaging_product: str | None = None
    metadata: dict[str, Any] | None = None
    contacts: list[dict[str, Any]] = []
    messages: list[WhatsAppMessage] = []
    statuses: list[dict[str, Any]] = []


class MetaChange(Envelope):
    field: str
    value: dict[str, Any]

    @property
    def whatsapp(self) -> WhatsAppValue:
        """``value`` read as a WhatsApp Cloud API value."""
        return WhatsAppValue.model_validate(self.value)


class MetaEntry(Envelope):
    id: str
    time: int | None = None
    changes: list[MetaChange] = []
    messaging: list[dict[str, Any]] = []


class MetaWebhook(Envelope):
    """``object`` (``whatsapp_business_account``, ``page``, ``instagram`` ...) and its entries."""

    object: str
    entry: list[MetaEntry]
