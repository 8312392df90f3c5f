from __future__ import annotations

import pytest
from pydantic import ValidationError

from hookreceiver.models import SlackEventCallback, SlackInteraction, SlackSlashCommand
from tests.models.support import received


@pytest.mark.parametrize("topic", ["message", "app_mention"])
def test_event_callbacks(topic: str) -> None:
    callback = SlackEventCallback.model_validate(received("slack", topic))
    assert callback.type == "event_callback" and callback.event.type == topic
    assert callback.event.user == "U05BX9K3PLM" and callback.event_id.startswith("Ev")
    assert callback.event_time == 1_700_000_000  # the signing time, as Slack sets it


def test_interactions_arrive_as_form_and_validate_the_same() -> None:
    interaction = SlackInteraction.model_validate(received("slack", "block_actions"))
    assert interaction.type == "block_actions"
    assert interaction.actions[0].action_id == "approve" and interaction.actions[0].value == "deploy-212"


def test_slash_commands_are_plain_form_fields() -> None:
    fields = {"user_id": "U1", "channel_id": "C1", "team_id": "T1", "text": "", "trigger_id": ""}
    command = SlackSlashCommand.model_validate(received("slack", "command./deploy", fields))
    assert (command.command, command.text, command.trigger_id) == ("/deploy", "", None)


def test_other_event_kinds_do_not_pass_as_callbacks() -> None:
    with pytest.raises(ValidationError, match="type"):
        SlackEventCallback.model_validate({"type": "url_verification", "challenge": "c"})
