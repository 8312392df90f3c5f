"""Postmark webhooks: bounces, deliveries and inbound messages (field names as Postmark spells them)."""

from __future__ import annotations

from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["PostmarkBounce", "PostmarkDelivery", "PostmarkInbound"]


class PostmarkBounce(Envelope):
    RecordType: str
    ID: int
    Type: str
    TypeCode: int
    MessageID: str
    Email: str
    BouncedAt: str
    MessageStream: str | None = None
    Description: str | None = None
    Details: str | None = None
    Inactive: bool | None = None
    CanActivate: bool | None = None
    Metadata: dict[str, str] = {}


class PostmarkDelivery(Envelope):
    RecordType: str
    MessageID: str
    Recipient: str
    DeliveredAt: str
    MessageStream: str | None = None
    Details: str | None = None
    Metadata: dict[str, str] = {}


class PostmarkInbound(Envelope):
    From: str
    MessageID: str
    To: str | None = None
    Subject: str | None = None
    TextBody: str | None = None
    HtmlBody: str | None = None
    StrippedTextReply: str | None = None
    MailboxHash: str | None = None
    Headers: list[dict[str, Any]] = []
    Attachments: list[dict[str, Any]] = []
