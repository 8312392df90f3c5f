"""Slack: ``X-Slack-Signature: v0=<hex>``, HMAC-SHA256 over ``"v0:{timestamp}:{raw body}"``.

One signing scheme covers three kinds of request, told apart by the body:

- Events API (JSON ``event_callback``): topic ``event.type``, or ``type.subtype`` with the bare
  type as an alias (``message.channel_join`` also matches ``message``); id ``event_id``.
- Interactivity (form ``payload=<json>``): topic the payload ``type``, refined by the action or
  callback id (``block_actions.approve``, alias ``block_actions``); Slack sends no id.
- Slash commands (form): topic ``command./deploy`` with the alias ``command``; no id.

``url_verification`` is answered with its challenge (after the signature is checked), and so is
the ``ssl_check`` probe sent to slash-command URLs. Retries carry ``X-Slack-Retry-Num`` and
``-Reason``, which land in ``meta``.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, ClassVar
from urllib.parse import urlencode

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest, Reply
from hookreceiver.core.signing import HmacHeader, parse_timestamp
from hookreceiver.exceptions import PayloadError
from hookreceiver.providers.base import Identity, lookup
from hookreceiver.providers.common import refined_topic
from hookreceiver.providers.shared_secret import TimedHmacProvider

__all__ = ["INTERACTION_TYPES", "Slack"]

TIMESTAMP = "x-slack-request-timestamp"
INTERACTION_TYPES = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "interactive_message",
        "message_action",
        "shortcut",
        "view_closed",
        "view_submission",
        "workflow_step_edit",
    }
)
# Where an interaction keeps the id that tells its handlers apart, tried in order.
_DETAIL_PATHS = ("actions.0.action_id", "action_id", "view.callback_id", "callback_id")


def _message(timestamp: str, body: bytes) -> bytes:
    return b"v0:" + timestamp.encode() + b":" + body


def _seconds(value: Any) -> float | None:
    """``event_time`` as seconds: a finite number (not a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # an int of hundreds of digits
        return None
    return seconds if math.isfinite(seconds) else None


_META_HEADERS = (("retry_num", "x-slack-retry-num"), ("retry_reason", "x-slack-retry-reason"))
# Where the team, user, app, channel and enterprise ids may be; the first text found is kept.
_META_PATHS = (
    ("team_id", "team_id"),
    ("team_id", "team.id"),
    ("user_id", "user_id"),
    ("user_id", "user.id"),
    ("api_app_id", "api_app_id"),
    ("channel_id", "channel_id"),
    ("enterprise_id", "enterprise_id"),
)


def _meta(request: HttpRequest, payload: dict[str, Any]) -> dict[str, str]:
    """The retry headers, then the ids the body names (the first place that holds each)."""
    meta = {key: value for key, header in _META_HEADERS if (value := request.header(header))}
    for key, path in _META_PATHS:
        value = lookup(payload, path)
        if isinstance(value, str) and value:
            meta.setdefault(key, value)
    return meta


def _event_identity(payload: dict[str, Any], meta: dict[str, str]) -> Identity:
    """An Events API ``event_callback``: ``event.type`` refined by its subtype, ``event_id``."""
    event_type = lookup(payload, "event.type")
    if not isinstance(event_type, str) or not event_type:
        raise PayloadError("event_callback without event.type", reason="missing_topic")
    topic, aliases = refined_topic(event_type, lookup(payload, "event.subtype"))
    event_id = payload.get("event_id")
    return Identity(
        topic=topic,
        aliases=aliases,
        meta=meta,
        delivery_id=event_id if isinstance(event_id, str) and event_id else None,
        sent_at=_seconds(payload.get("event_time")),
    )


class Slack(TimedHmacProvider):
    """Slack's Events API, interactivity and slash-command requests, under one signing secret.

    ``tolerance`` is the window (seconds, both directions) around our clock for the signed
    timestamp; Slack's own SDK uses 300. A tolerance of 0 turns the time check off.
    """

    name: ClassVar[str] = "slack"
    formats: frozenset[Format] = frozenset({"json", "form"})
    signature: ClassVar[HmacHeader] = HmacHeader("x-slack-signature", prefix="v0=")
    tolerance: float = 300.0

    def signed(self, request: HttpRequest) -> tuple[float, bytes]:
        text = (request.header(TIMESTAMP) or "").strip()
        return parse_timestamp(text, header=TIMESTAMP), _message(text, request.body)

    def handshake(self, request: HttpRequest, payload: Any) -> Reply | None:
        if not isinstance(payload, dict):
            return None
        if payload.get("type") == "url_verification":
            challenge = payload.get("challenge")
            if not isinstance(challenge, str) or not challenge:
                raise PayloadError("url_verification without a challenge")
            return Reply.json({"challenge": challenge})
        if payload.get("ssl_check") == "1":
            return Reply()
        return None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        if not isinstance(payload, dict):
            raise PayloadError("a Slack request body is an object", reason="missing_topic")
        meta = _meta(request, payload)
        command = payload.get("command")
        if isinstance(command, str) and command:
            return Identity(topic=f"command.{command}", aliases=("command",), meta=meta)
        kind = payload.get("type")
        if not isinstance(kind, str) or not kind:
            raise PayloadError("the request has no 'type' or 'command'", reason="missing_topic")
        if kind != "event_callback":
            detail = next((d for p in _DETAIL_PATHS if isinstance(d := lookup(payload, p), str)), None)
            topic, aliases = refined_topic(kind, detail)
            return Identity(topic=topic, aliases=aliases, meta=meta)
        return _event_identity(payload, meta)

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
        """Build what Slack would post for ``topic``: a slash command (``command./deploy``), an
        interaction (``block_actions...``, form), ``url_verification``, or else an Events API
        envelope whose ``event.type`` (and ``subtype``) come from the topic."""
        fields = dict(payload) if isinstance(payload, dict) else {}
        kind, _, detail = topic.partition(".")
        content_type = "application/x-www-form-urlencoded"
        if kind == "command":
            body = urlencode({**{k: str(v) for k, v in fields.items()}, "command": detail}).encode()
        elif kind in INTERACTION_TYPES:
            fields["type"] = kind
            if detail and kind in ("block_actions", "block_suggestion"):
                fields.setdefault("actions", [{"action_id": detail}])
            elif detail:
                fields.setdefault("callback_id", detail)
            body = urlencode({"payload": json.dumps(fields, separators=(",", ":"))}).encode()
        else:
            body = self._event_body(fields, topic, delivery_id, timestamp)
            content_type = "application/json"
        stamp = str(int(timestamp))
        signature = self.signature_value(_message(stamp, body), secret_index)
        headers = {"content-type": content_type, TIMESTAMP: stamp, self.signature.header: signature}
        return HttpRequest.outgoing("POST", url, headers, body)

    @staticmethod
    def _event_body(fields: dict[str, Any], topic: str, delivery_id: str | None, timestamp: float) -> bytes:
        if topic == "url_verification":
            envelope = {"token": "unused", "challenge": "challenge", **fields, "type": topic}
        else:
            event_type, _, subtype = topic.partition(".")
            envelope = fields if isinstance(fields.get("event"), dict) else {"event": fields}
            event = dict(envelope["event"], type=event_type)
            if subtype:
                event["subtype"] = subtype
            envelope = {
                "team_id": "T00000000",
                **envelope,
                "type": "event_callback",
                "event": event,
                "event_time": int(timestamp),
            }
            seed = json.dumps(envelope, sort_keys=True).encode()
            envelope["event_id"] = delivery_id or "Ev" + hashlib.sha256(seed).hexdigest()[:16].upper()
        return json.dumps(envelope, separators=(",", ":")).encode()
