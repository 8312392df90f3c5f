"""Slack: the Events API ``event_callback`` (with its inner event), interactions and slash commands.

Interactions (form ``payload=<json>``) and slash commands (plain form fields) decode to dicts like
JSON does, so they validate into these models the same way.
"""

from __future__ import annotations

from typing import Any, Literal

from hookreceiver.models.base import Envelope, FormEnvelope

__all__ = [
    "SlackAction",
    "SlackEvent",
    "SlackEventCallback",
    "SlackInteraction",
    "SlackSlashCommand",
]


class SlackEvent(Envelope):
    """The inner ``event``: ``message``, ``app_mention``, ``reaction_added``, ..."""

    type: str
    subtype: str | None = None
    user: str | None = None
    channel: str | None = None
    channel_type: str | None = None
    text: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    event_ts: str | None = None


class SlackEventCallback(Envelope):
    """An Events API delivery: ``type == "event_callback"`` around one ``event``."""

    type: Literal["event_callback"]
    team_id: str
    api_app_id: str | None = None
    event: SlackEvent
    event_id: str
    event_time: int
    authorizations: list[dict[str, Any]] | None = None
    is_ext_shared_channel: bool | None = None


class SlackAction(Envelope):
    action_id: str
    block_id: str | None = None
    type: str | None = None
    value: str | None = None


class SlackInteraction(Envelope):
    """An interactivity payload: ``block_actions``, ``view_submission``, ``shortcut``, ..."""

    type: str
    trigger_id: str | None = None
    response_url: str | None = None
    team: dict[str, Any] | None = None
    user: dict[str, Any] | None = None
    channel: dict[str, Any] | None = None
    actions: list[SlackAction] = []
    view: dict[str, Any] | None = None
    callback_id: str | None = None


class SlackSlashCommand(FormEnvelope):
    """A slash command (form fields): ``/deploy staging`` is ``command="/deploy"``, ``text="staging"``."""

    command: str
    text: str = ""
    user_id: str
    channel_id: str
    team_id: str
    user_name: str | None = None
    channel_name: str | None = None
    team_domain: str | None = None
    response_url: str | None = None
    trigger_id: str | None = None
