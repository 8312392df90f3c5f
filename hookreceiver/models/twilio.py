"""Twilio webhooks: form-encoded parameters (field names as Twilio sends them), validated from text.

``TwilioMessage`` covers incoming messages and message status callbacks, ``TwilioCall`` voice
calls and call status callbacks.
"""

from __future__ import annotations

from hookreceiver.models.base import FormEnvelope

__all__ = ["TwilioCall", "TwilioMessage"]


class TwilioMessage(FormEnvelope):
    """An SMS/MMS/WhatsApp message, or a status callback about one (``MessageStatus``)."""

    MessageSid: str
    AccountSid: str
    From: str
    To: str
    Body: str = ""
    NumMedia: int = 0
    NumSegments: int | None = None
    MessagingServiceSid: str | None = None
    SmsStatus: str | None = None
    MessageStatus: str | None = None
    ErrorCode: int | None = None
    ApiVersion: str | None = None


class TwilioCall(FormEnvelope):
    """A voice call webhook or status callback (``CallStatus``: ringing, in-progress, completed...)."""

    CallSid: str
    AccountSid: str
    From: str
    To: str
    CallStatus: str
    Direction: str | None = None
    Digits: str | None = None
    CallDuration: int | None = None
    ApiVersion: str | None = None
