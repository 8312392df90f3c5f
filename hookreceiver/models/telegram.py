"""Telegram Bot API updates: the ``Update`` and its most common objects."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hookreceiver.models.base import Envelope

__all__ = ["TelegramCallbackQuery", "TelegramChat", "TelegramMessage", "TelegramUpdate", "TelegramUser"]


class TelegramUser(Envelope):
    id: int
    is_bot: bool = False
    first_name: str | None = None
    username: str | None = None


class TelegramChat(Envelope):
    id: int
    type: str
    title: str | None = None
    username: str | None = None


class TelegramMessage(Envelope):
    message_id: int
    date: int
    chat: TelegramChat
    from_user: TelegramUser | None = Field(default=None, alias="from")
    text: str | None = None
    entities: list[dict[str, Any]] = []


class TelegramCallbackQuery(Envelope):
    id: str
    from_user: TelegramUser = Field(alias="from")
    data: str | None = None
    message: TelegramMessage | None = None
    chat_instance: str | None = None


class TelegramUpdate(Envelope):
    """An update carries ``update_id`` and one of the optional objects."""

    update_id: int
    message: TelegramMessage | None = None
    edited_message: TelegramMessage | None = None
    channel_post: TelegramMessage | None = None
    callback_query: TelegramCallbackQuery | None = None
