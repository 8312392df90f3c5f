from __future__ import annotations

import pytest
from pydantic import ValidationError

from hookreceiver.models import TwilioCall, TwilioMessage
from tests.models.support import received


def test_incoming_message_from_form_fields() -> None:
    payload = received("twilio", "message.received")
    assert payload["NumMedia"] == "0"  # form values are text ...
    message = TwilioMessage.model_validate(payload)
    assert (message.NumMedia, message.NumSegments) == (0, 1)  # ... typed here
    assert (message.From, message.Body, message.SmsStatus) == ("+14155550123", "STATUS 1042", "received")
    assert message.model_extra is not None and message.model_extra["ToCity"] == "SAN FRANCISCO"


def test_status_callback_and_call() -> None:
    status = TwilioMessage.model_validate(received("twilio", "message.delivered"))
    assert status.MessageStatus == "delivered" and status.Body == ""
    call = TwilioCall.model_validate(received("twilio", "call.ringing"))
    assert (call.CallStatus, call.Direction, call.Digits) == ("ringing", "inbound", None)


def test_required_sid() -> None:
    with pytest.raises(ValidationError, match="MessageSid"):
        TwilioMessage.model_validate({"AccountSid": "AC1", "From": "+1", "To": "+2"})
