"""Envelope models of the messaging and email providers, on their shipped samples as received."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hookreceiver.models import (
    DiscordInteraction,
    FeishuEvent,
    MailgunWebhook,
    MetaWebhook,
    PostmarkBounce,
    PostmarkDelivery,
    PostmarkInbound,
    SendGridEvent,
    TelegramUpdate,
)
from tests.models.support import received


def test_discord_interactions() -> None:
    command = DiscordInteraction.model_validate(received("discord", "application_command"))
    assert command.type == 2 and command.data is not None and command.data.name == "deploy"
    assert command.invoker is not None and command.invoker.username == "octo"
    component = DiscordInteraction.model_validate(received("discord", "message_component"))
    assert component.data is not None and component.data.custom_id == "approve"


def test_mailgun_webhook_with_dashed_names() -> None:
    hook = MailgunWebhook.model_validate(received("mailgun", "failed"))
    assert (hook.event_data.event, hook.event_data.severity) == ("failed", "permanent")
    assert hook.event_data.delivery_status is not None and len(hook.signature.token) == 50


def test_meta_whatsapp_batch() -> None:
    hook = MetaWebhook.model_validate(received("meta", "whatsapp_business_account.messages"))
    message = hook.entry[0].changes[0].whatsapp.messages[0]
    assert hook.object == "whatsapp_business_account" and message.from_ == "16505551234"
    assert message.id.startswith("wamid.")


def test_postmark_records() -> None:
    bounce = PostmarkBounce.model_validate(received("postmark", "Bounce"))
    assert (bounce.Type, bounce.Inactive) == ("HardBounce", True)
    assert PostmarkDelivery.model_validate(received("postmark", "Delivery")).Recipient
    inbound = PostmarkInbound.model_validate(received("postmark", "Inbound"))
    assert inbound.StrippedTextReply == "Ok, thanks for letting me know!"


def test_sendgrid_events_are_a_list() -> None:
    events = [SendGridEvent.model_validate(e) for e in received("sendgrid", "open")]
    assert events[0].event == "open" and events[0].sg_event_id == "FOTFFO0ecsBE-zxFXfs6WA"


def test_telegram_updates() -> None:
    update = TelegramUpdate.model_validate(received("telegram", "message"))
    assert update.message is not None and update.message.text == "/start"
    assert update.message.from_user is not None and update.message.from_user.username == "ada"
    query = TelegramUpdate.model_validate(received("telegram", "callback_query"))
    assert query.callback_query is not None and query.callback_query.data == "deploy:yes"


def test_required_fields_are_required() -> None:
    with pytest.raises(ValidationError, match="update_id"):
        TelegramUpdate.model_validate({"message": None})
    with pytest.raises(ValidationError, match="sg_event_id"):
        SendGridEvent.model_validate({"email": "a", "event": "open", "timestamp": 1})


def test_feishu_v2_events() -> None:
    event = FeishuEvent.model_validate(received("feishu", "im.message.receive_v1"))
    assert event.schema_version == "2.0" and event.header.event_type == "im.message.receive_v1"
    assert event.event["message"]["chat_type"] == "group"
    with pytest.raises(ValidationError, match="schema"):
        FeishuEvent.model_validate({"header": event.header.model_dump(), "event": {}})
