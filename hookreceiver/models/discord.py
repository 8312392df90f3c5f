"""Discord interactions: the fields every interaction shares, and a command's ``data``."""

from __future__ import annotations

from typing import Any

from hookreceiver.models.base import Envelope

__all__ = ["DiscordInteraction", "DiscordInteractionData", "DiscordUser"]


class DiscordUser(Envelope):
    id: str
    username: str | None = None
    global_name: str | None = None


class DiscordInteractionData(Envelope):
    """``data``: a command's ``name`` and ``options``, or a component's ``custom_id``."""

    id: str | None = None
    name: str | None = None
    type: int | None = None
    options: list[dict[str, Any]] = []
    custom_id: str | None = None
    component_type: int | None = None


class DiscordInteraction(Envelope):
    """One interaction: ``type`` 2 command, 3 component, 4 autocomplete, 5 modal submit."""

    id: str
    application_id: str
    type: int
    token: str
    version: int
    guild_id: str | None = None
    channel_id: str | None = None
    member: dict[str, Any] | None = None
    user: DiscordUser | None = None
    data: DiscordInteractionData | None = None
    message: dict[str, Any] | None = None
    locale: str | None = None

    @property
    def invoker(self) -> DiscordUser | None:
        """Who acted: ``member.user`` in a guild, ``user`` in a DM."""
        member_user = (self.member or {}).get("user")
        return DiscordUser.model_validate(member_user) if isinstance(member_user, dict) else self.user
