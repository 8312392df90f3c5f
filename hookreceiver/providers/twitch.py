"""Twitch EventSub (webhook transport): ``Twitch-Eventsub-Message-Signature: sha256=<hex>``.

HMAC-SHA256 under the subscription's secret, over ``message id + message timestamp + raw body``
(the two headers joined to the body with nothing between). Twitch asks receivers to refuse a
message whose timestamp is more than 10 minutes old and to drop one whose id they have already
seen; we refuse 10 minutes off either way (``tolerance=``) and dedupe on the message id.

``Twitch-Eventsub-Message-Type`` says what a request is:

- ``webhook_callback_verification``: answered, after verifying, with the bare ``challenge``
  as ``text/plain``; the subscription is live from then on.
- ``notification``: a delivery whose topic is the subscription type (``channel.follow``).
- ``revocation``: a delivery with the topic ``revocation.<type>`` (alias ``revocation``); its
  ``subscription.status`` says why (``authorization_revoked``, ``user_removed`` ...).
"""

from __future__ import annotations

from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest, Reply
from hookreceiver.core.signing import HmacHeader
from hookreceiver.exceptions import PayloadError, SignatureError
from hookreceiver.providers.base import Identity, lookup
from hookreceiver.providers.common import (
    derived_uuid,
    event_dict,
    iso_time,
    json_bytes,
    parse_rfc3339,
    text_fields,
)
from hookreceiver.providers.shared_secret import TimedHmacProvider

__all__ = ["MESSAGE_TYPES", "Twitch"]

MESSAGE_ID = "twitch-eventsub-message-id"
TIMESTAMP = "twitch-eventsub-message-timestamp"
MESSAGE_TYPE = "twitch-eventsub-message-type"
RETRY = "twitch-eventsub-message-retry"
SUBSCRIPTION_TYPE = "twitch-eventsub-subscription-type"
SUBSCRIPTION_VERSION = "twitch-eventsub-subscription-version"
VERIFICATION = "webhook_callback_verification"
MESSAGE_TYPES = frozenset({"notification", VERIFICATION, "revocation"})
MAX_CHALLENGE = 1024
_META = {
    "subscription_id": "subscription.id",
    "status": "subscription.status",
    "broadcaster_user_id": "event.broadcaster_user_id",
    "user_id": "event.user_id",
}


class Twitch(TimedHmacProvider):
    """Twitch EventSub webhooks; ``secret`` is the secret you gave when subscribing."""

    name: ClassVar[str] = "twitch"
    formats: frozenset[Format] = frozenset({"json"})
    signature: ClassVar[HmacHeader] = HmacHeader("Twitch-Eventsub-Message-Signature", prefix="sha256=")
    tolerance: float = 600.0

    def signed(self, request: HttpRequest) -> tuple[float, bytes]:
        message_id = request.header(MESSAGE_ID) or ""
        stamp = request.header(TIMESTAMP) or ""
        if not message_id or not stamp:
            raise SignatureError("missing the EventSub message id or timestamp", reason="missing_timestamp")
        sent = parse_rfc3339(stamp)
        if sent is None:
            raise SignatureError("the EventSub message timestamp is not RFC 3339", reason="bad_timestamp")
        return sent, message_id.encode() + stamp.encode() + request.body

    def _kind(self, request: HttpRequest) -> str:
        kind = (request.header(MESSAGE_TYPE) or "").strip()
        if kind not in MESSAGE_TYPES:
            raise PayloadError("unknown Twitch-Eventsub-Message-Type", reason="missing_topic")
        return kind

    def handshake(self, request: HttpRequest, payload: Any) -> Reply | None:
        if self._kind(request) != VERIFICATION:
            return None
        challenge = payload.get("challenge") if isinstance(payload, dict) else None
        if not isinstance(challenge, str) or not challenge or len(challenge) > MAX_CHALLENGE:
            raise PayloadError(
                "a callback verification without a usable challenge", reason="missing_challenge"
            )
        return Reply(challenge.encode(), content_type="text/plain")

    def peek_delivery_id(self, request: HttpRequest) -> str | None:
        return request.header(MESSAGE_ID) or None

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        kind = self._kind(request)
        subscription = lookup(payload, "subscription.type")
        if not isinstance(subscription, str) or not subscription:
            subscription = (request.header(SUBSCRIPTION_TYPE) or "").strip()
        if not subscription:
            raise PayloadError("the message names no subscription type", reason="missing_topic")
        topic: str = subscription
        aliases: tuple[str, ...] = ()
        if kind == "revocation":
            topic, aliases = f"revocation.{subscription}", ("revocation",)
        meta = text_fields(payload, _META)
        meta["message_type"] = kind
        if retry := request.header(RETRY):
            meta["retry"] = retry
        if version := request.header(SUBSCRIPTION_VERSION):
            meta["subscription_version"] = version
        return Identity(
            topic=topic,
            aliases=aliases,
            delivery_id=request.header(MESSAGE_ID) or None,
            sent_at=parse_rfc3339(request.header(TIMESTAMP)),
            meta=meta,
        )

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
        """The POST Twitch would send: a notification of subscription type ``topic``
        (``channel.follow``) with ``payload`` as its ``event``; ``revocation.<type>`` a
        revocation; ``webhook_callback_verification.<type>`` the challenge."""
        kind, subscription = "notification", topic
        for prefix in ("revocation", VERIFICATION):
            if topic.startswith(prefix + "."):
                kind, subscription = prefix, topic[len(prefix) + 1 :]
        given = event_dict(payload, "event")
        event = given.get("event", given) if "event" in given or "subscription" in given else given
        created = iso_time(timestamp)
        status = {"notification": "enabled", "revocation": "authorization_revoked"}.get(kind, "pending")
        sub: dict[str, Any] = {
            "id": derived_uuid("subscription", subscription, url),
            "status": status,
            "type": subscription,
            "version": "1",
            "cost": 0,
            "condition": {},
            "transport": {"method": "webhook", "callback": url},
            "created_at": created,
        }
        body_value: dict[str, Any] = {"subscription": sub}
        if kind == "notification":
            body_value["event"] = event
        elif kind == VERIFICATION:
            body_value["challenge"] = derived_uuid("challenge", subscription, timestamp)
        body = json_bytes(body_value)
        message_id = delivery_id or derived_uuid(topic, timestamp, body)
        stamp = created.replace("Z", ".000000000Z")
        signature = self.signature_value(message_id.encode() + stamp.encode() + body, secret_index)
        headers = {
            "content-type": "application/json",
            "user-agent": "Twitch-Eventsub-Webhooks/1.0",
            MESSAGE_ID: message_id,
            RETRY: "0",
            MESSAGE_TYPE: kind,
            self.signature.header: signature,
            TIMESTAMP: stamp,
            SUBSCRIPTION_TYPE: subscription,
            SUBSCRIPTION_VERSION: "1",
        }
        return HttpRequest.outgoing("POST", url, headers, body)
