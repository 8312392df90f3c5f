"""Telegram Bot API webhooks: the ``secret_token`` of ``setWebhook``, sent back verbatim.

Telegram signs nothing: each update carries ``X-Telegram-Bot-Api-Secret-Token`` holding the token
given to ``setWebhook`` (1-256 characters of ``A-Z a-z 0-9 _ -``), compared here in constant
time and left out of the stored delivery. There is no timestamp either, so use HTTPS; dedupe on
``update_id`` (Telegram repeats it when it retries) is the replay defence.

Topics: the one optional field an ``Update`` carries besides ``update_id`` (``message``,
``edited_message``, ``callback_query``, ``inline_query``, ``my_chat_member`` ...). A handler may
answer inline with a Bot API method call (``{"method": "sendMessage", ...}``), which Telegram
executes; otherwise the JSON ack is returned, which Telegram ignores.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import Secrets, verify_token
from hookreceiver.exceptions import ConfigurationError, PayloadError
from hookreceiver.providers.base import BaseProvider, Identity, lookup

__all__ = ["Telegram"]

SECRET_TOKEN = "x-telegram-bot-api-secret-token"
_TOKEN = re.compile(rb"[A-Za-z0-9_-]{1,256}")


def _update_id(payload: Any) -> int | None:
    value = payload.get("update_id") if isinstance(payload, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _meta(body: dict[str, Any]) -> dict[str, str]:
    """The chat id, sender id and chat type of the update's object, as text where present."""
    found = {
        "chat_id": lookup(body, "chat.id") or lookup(body, "message.chat.id"),
        "from_id": lookup(body, "from.id"),
        "chat_type": lookup(body, "chat.type"),
    }
    return {
        k: str(v)
        for k, v in found.items()
        if isinstance(v, str | int) and not isinstance(v, bool) and v != ""
    }


class Telegram(BaseProvider):
    """Telegram bot updates; ``secret`` is the webhook's ``secret_token`` (a list while rotating)."""

    name: ClassVar[str] = "telegram"
    secret_headers: frozenset[str] = frozenset({SECRET_TOKEN})  # the token itself: never stored

    def __init__(
        self,
        *,
        secret: str | bytes | Iterable[str | bytes],
        formats: Iterable[Format] = ("json",),
    ) -> None:
        self._secrets = Secrets(secret)
        if not all(_TOKEN.fullmatch(value) for value in self._secrets.values):
            raise ConfigurationError("a Telegram secret_token is 1-256 characters of A-Z, a-z, 0-9, _ and -")
        self.formats = frozenset(formats)

    def __repr__(self) -> str:
        return f"Telegram(secrets={self._secrets!r})"

    def verify(self, request: HttpRequest, *, now: float) -> int:
        return verify_token(
            request.header(SECRET_TOKEN), secrets=self._secrets, header="X-Telegram-Bot-Api-Secret-Token"
        )

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        update_id = _update_id(payload)
        if update_id is None:
            raise PayloadError("an update without an integer update_id", reason="missing_topic")
        kinds = [key for key, value in payload.items() if key != "update_id" and isinstance(value, dict)]
        if not kinds:
            raise PayloadError("the update carries no object besides update_id", reason="missing_topic")
        kind = kinds[0]
        body = payload[kind]
        date = body.get("date") or body.get("edit_date")
        return Identity(
            topic=kind,
            delivery_id=str(update_id),
            sent_at=float(date) if isinstance(date, int) and not isinstance(date, bool) else None,
            meta=_meta(body),
        )

    def peek_delivery_id(self, request: HttpRequest) -> str | None:
        return None  # update_id lives in the body, which is not read before verification

    def sign(
        self,
        payload: Any,
        *,
        topic: str,
        delivery_id: str | None = None,
        timestamp: float,
        url: str,
        secret_index: int = 0,
    ) -> HttpRequest:
        """The update Telegram would post: ``payload`` is the ``topic`` object (a ``Message`` for
        ``message``), or a whole update; ``delivery_id`` is the ``update_id`` (digits)."""
        value: Any = json.loads(json.dumps(payload)) if isinstance(payload, dict) else {}
        inner = (
            value.get(topic)
            if isinstance(value.get(topic), dict)
            else ({k: v for k, v in value.items() if k != "update_id"})
        )
        update_id = _update_id(value)
        if delivery_id is not None:
            digits = "".join(ch for ch in delivery_id if ch.isdigit())
            update_id = int(digits[-9:] or "0") if not delivery_id.isdigit() else int(delivery_id)
        body = json.dumps(
            {"update_id": update_id if update_id is not None else int(timestamp) % 10**9, topic: inner},
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        headers = {
            "content-type": "application/json",
            SECRET_TOKEN: self._secrets.values[secret_index].decode("ascii"),
        }
        return HttpRequest.outgoing("POST", url, headers, body)
