from __future__ import annotations

import pytest
from pydantic import ValidationError

from hookreceiver.models import WeChatMessage
from tests.models.support import received


def test_text_message_from_xml() -> None:
    payload = received("wechat", "text")
    assert payload["CreateTime"] == "1700000000"  # XML gives text ...
    message = WeChatMessage.model_validate(payload)
    assert message.CreateTime == 1_700_000_000 and message.MsgId == 23456789012345678  # ... ints here
    assert (message.MsgType, message.Content) == ("text", "你好，我的订单到哪里了？")


def test_location_numbers_are_parsed() -> None:
    message = WeChatMessage.model_validate(received("wechat", "location"))
    assert message.Location_X == pytest.approx(39.915119) and message.Scale == 16


def test_event_with_an_empty_key() -> None:
    message = WeChatMessage.model_validate(received("wechat", "event.subscribe"))
    assert (message.MsgType, message.Event, message.EventKey, message.MsgId) == (
        "event",
        "subscribe",
        None,
        None,
    )


def test_unknown_elements_are_kept_and_bad_numbers_refused() -> None:
    message = WeChatMessage.model_validate(received("wechat", "text", {"Content": "x", "Brand": "1"}))
    assert message.model_extra == {"Brand": "1"}
    with pytest.raises(ValidationError, match="CreateTime"):
        WeChatMessage.model_validate(
            {"ToUserName": "a", "FromUserName": "b", "CreateTime": "soon", "MsgType": "text"}
        )
