"""Discord interactions endpoint: Ed25519 over ``timestamp + raw body``, under the app's public key.

``X-Signature-Ed25519`` is the hex signature, ``X-Signature-Timestamp`` the Unix time it covers.
Discord probes the endpoint with bad signatures and expects 401, which a ``SignatureError`` is. A
PING (``type`` 1) is answered ``{"type":1}`` (PONG) once verified.

Topics: ``application_command.<name>``, ``message_component.<custom_id>``,
``autocomplete.<name>`` and ``modal_submit.<custom_id>``, each with its bare kind as an alias.
The delivery id is the interaction ``id``. Discord needs an interaction response within 3 s and
never retries: an inline handler's ``Reply`` is sent as it is; without one ``ack`` defers
(type 5 for commands and modals, 6 for components, an empty choice list for autocomplete), and
the worker can follow up through the interaction ``token`` within 15 minutes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import Delivery, HttpRequest, Reply
from hookreceiver.core.signing import check_timestamp, decode_signature, parse_timestamp
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError
from hookreceiver.providers.asymmetric import (
    Key,
    Keys,
    ed25519_public,
    is_pem_private,
    load_pem_private,
    verify_any,
)
from hookreceiver.providers.base import BaseProvider, Identity, lookup
from hookreceiver.providers.common import refined_topic

__all__ = ["INTERACTION_TYPES", "Discord"]

SIGNATURE = "x-signature-ed25519"
TIMESTAMP = "x-signature-timestamp"
PING = 1
# Interaction type -> topic kind, and the field that refines it.
INTERACTION_TYPES: dict[int, tuple[str, str]] = {
    2: ("application_command", "data.name"),
    3: ("message_component", "data.custom_id"),
    4: ("autocomplete", "data.name"),
    5: ("modal_submit", "data.custom_id"),
}
_KINDS = {kind: number for number, (kind, _) in INTERACTION_TYPES.items()}
# What to answer when no inline handler replied: defer, and follow up from the worker.
_DEFERRED: dict[int, Any] = {
    2: {"type": 5},
    3: {"type": 6},
    4: {"type": 8, "data": {"choices": []}},
    5: {"type": 5},
}


def _key(item: str | bytes) -> Key:
    if isinstance(item, str) and is_pem_private(item):
        return load_pem_private(item, "ed25519")
    text = item.decode("ascii", "replace") if isinstance(item, bytes) else item
    try:
        raw = bytes.fromhex(text.strip())
    except ValueError:
        raise ConfigurationError("a Discord public key is 64 hex characters") from None
    return ed25519_public(raw)


def _meta(payload: dict[str, Any]) -> dict[str, str]:
    """The interaction's application, guild, channel and user ids (those that are text)."""
    found = {
        "application_id": payload.get("application_id"),
        "guild_id": payload.get("guild_id"),
        "channel_id": payload.get("channel_id"),
        "user_id": lookup(payload, "member.user.id") or lookup(payload, "user.id"),
    }
    return {k: v for k, v in found.items() if isinstance(v, str) and v}


class Discord(BaseProvider):
    """Discord interactions; ``secret`` is the application's public key (64 hex characters).

    A list while you rotate. A PEM private key is accepted too (its public half verifies, and
    ``sign`` works): that is for tests and ``hookreceiver send``, never production.
    ``tolerance`` (seconds, both ways; 0 = off) bounds the signed timestamp's age: Discord's own
    libraries do not check it, but Discord never retries, so a stale request is a replay.
    """

    name: ClassVar[str] = "discord"

    def __init__(
        self,
        *,
        secret: str | bytes | Iterable[str | bytes],
        tolerance: float = 300.0,
        formats: Iterable[Format] = ("json",),
    ) -> None:
        self._keys = Keys(Keys.items(secret), _key)
        self.tolerance = tolerance
        self.formats = frozenset(formats)

    def __repr__(self) -> str:
        return f"Discord(keys={self._keys!r}, tolerance={self.tolerance:g})"

    def verify(self, request: HttpRequest, *, now: float) -> int:
        stamp = (request.header(TIMESTAMP) or "").strip()
        sent = parse_timestamp(stamp, header="X-Signature-Timestamp")
        text = (request.header(SIGNATURE) or "").strip()
        if not text:
            raise SignatureError("missing X-Signature-Ed25519", reason="missing_signature")
        signature = decode_signature(text, "hex")
        index = verify_any(self._keys.values, [signature], stamp.encode() + request.body)
        check_timestamp(sent, now=now, tolerance=self.tolerance)
        return index

    def handshake(self, request: HttpRequest, payload: Any) -> Reply | None:
        if isinstance(payload, dict) and payload.get("type") == PING:
            return Reply.json({"type": 1})
        return None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        number = payload.get("type") if isinstance(payload, dict) else None
        if not isinstance(number, int) or isinstance(number, bool) or number not in INTERACTION_TYPES:
            raise PayloadError("an interaction of unknown type", reason="missing_topic")
        kind, path = INTERACTION_TYPES[number]
        topic, aliases = refined_topic(kind, lookup(payload, path))
        interaction_id = payload.get("id")
        stamp = request.header(TIMESTAMP)
        return Identity(
            topic=topic,
            aliases=aliases,
            delivery_id=interaction_id if isinstance(interaction_id, str) and interaction_id else None,
            sent_at=float(stamp) if stamp and stamp.strip().isdigit() else None,
            meta=_meta(payload),
        )

    def ack(self, delivery: Delivery, reply: Reply | None) -> Reply | None:
        """The inline handler's interaction response, else a deferred one (Discord needs one)."""
        if reply is not None:
            return reply
        number = delivery.payload.get("type") if isinstance(delivery.payload, dict) else None
        deferred = _DEFERRED.get(number) if isinstance(number, int) else None
        return Reply.json(deferred) if deferred is not None else None

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
        """The interaction Discord would post: ``topic`` is ``ping`` or ``kind[.name]``
        (``application_command.hello``); needs a private key (see ``hookreceiver.testing.keys``)."""
        value: dict[str, Any] = json.loads(json.dumps(payload)) if isinstance(payload, dict) else {}
        kind, _, detail = topic.partition(".")
        if kind == "ping":
            value["type"] = PING
        elif kind in _KINDS:
            value["type"] = number = _KINDS[kind]
            if detail:
                data = value.setdefault("data", {})
                data[INTERACTION_TYPES[number][1].split(".")[1]] = detail
        else:
            raise ValueError(f"a Discord topic is ping or one of {', '.join(_KINDS)}")
        value.setdefault("application_id", "1000000000000000001")
        value.setdefault("token", "interaction-token")
        value.setdefault("version", 1)
        if delivery_id:
            value["id"] = delivery_id
        elif not isinstance(value.get("id"), str):
            seed = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).digest()
            value["id"] = str(int.from_bytes(seed[:7], "big"))
        body = json.dumps(value, separators=(",", ":")).encode()
        stamp = str(int(timestamp))
        signature = self._keys.values[secret_index].sign(stamp.encode() + body)
        headers = {"content-type": "application/json", SIGNATURE: signature.hex(), TIMESTAMP: stamp}
        return HttpRequest.outgoing("POST", url, headers, body)
