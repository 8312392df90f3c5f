"""Asana: an ``X-Hook-Secret`` handshake, then ``X-Hook-Signature`` = hex HMAC-SHA256 of the body.

When a webhook is created, Asana POSTs to its target with an ``X-Hook-Secret`` header (and no
signature); the receiver must answer 200 with the same header and keep the secret, which signs
every later delivery. The handshake itself is unsigned, so who may set a secret is a policy
(``handshakes=``):

- ``"first"`` (default): only while no secret is kept for this target, so a secret, once
  learned, cannot be replaced by a stranger. Recreate a webhook on a new target path (Asana
  suggests one per webhook, such as ``/asana/<resource>``), or clear the store.
- ``"replace"``: every handshake replaces the kept secret (anyone who can reach the endpoint
  can then take it over: only behind a network restriction).
- ``"off"``: no handshake is answered; only the configured ``secret=`` values verify.

Learned secrets are kept in a ``SecretStore`` under the request's path and query (``key=``
changes that); the default ``MemorySecretStore`` lives in this process only. Configured
secrets (``secret=``: the ones you saved from earlier handshakes) verify on every target.

A delivery is ``{"events": [...]}``; each event is its own delivery, topic
``<resource_type>.<action>`` (``task.changed``, alias ``task``), deduplicated by its content
(Asana sends no event id). An empty list is Asana's heartbeat, the topic ``heartbeat``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, Literal

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest, Reply
from hookreceiver.core.signing import Secrets, hmac_digest, verify_hmac
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError
from hookreceiver.providers.base import BaseProvider, Identity, lookup
from hookreceiver.providers.common import event_dict, iso_time, json_bytes, text_fields
from hookreceiver.providers.secretstore import MemorySecretStore, SecretStore

__all__ = ["Asana", "Handshakes"]

HOOK_SECRET = "x-hook-secret"
SIGNATURE = "x-hook-signature"
MAX_SECRET = 256
Handshakes = Literal["first", "replace", "off"]
_META = {
    "resource_gid": "resource.gid",
    "resource_subtype": "resource.resource_subtype",
    "parent_gid": "parent.gid",
    "user_gid": "user.gid",
    "field": "change.field",
    "created_at": "created_at",
}


def _target(request: HttpRequest) -> str:
    return request.path + (f"?{request.query_string}" if request.query_string else "")


def _handshake_secret(request: HttpRequest) -> bytes | None:
    """The secret a handshake offers, or ``None`` if this is not a handshake."""
    offered = request.header(HOOK_SECRET)
    if offered is None or request.header(SIGNATURE) is not None:
        return None
    offered = offered.strip()
    if not offered or len(offered) > MAX_SECRET or not offered.isascii() or not offered.isprintable():
        raise SignatureError("the handshake's X-Hook-Secret is not a usable secret", reason="bad_handshake")
    return offered.encode()


class Asana(BaseProvider):
    """Asana webhooks. ``secret``: secrets saved from earlier handshakes (optional);
    ``store``: where handshakes keep theirs (see the module docstring for ``handshakes``)."""

    name: ClassVar[str] = "asana"
    formats: frozenset[Format] = frozenset({"json"})
    secret_headers: frozenset[str] = frozenset({HOOK_SECRET})

    def __init__(
        self,
        *,
        secret: str | bytes | Iterable[str | bytes] | None = None,
        store: SecretStore | None = None,
        handshakes: Handshakes = "first",
        key: Callable[[HttpRequest], str] = _target,
    ) -> None:
        if handshakes not in ("first", "replace", "off"):
            raise ConfigurationError("handshakes= is 'first', 'replace' or 'off'")
        if secret is None and handshakes == "off":
            raise ConfigurationError("with handshakes='off' a secret= is required: nothing could verify")
        self._secrets = Secrets(secret) if secret is not None else None
        self.store: SecretStore = store if store is not None else MemorySecretStore()
        self.handshakes: Handshakes = handshakes
        self.key = key

    def __repr__(self) -> str:
        configured = len(self._secrets) if self._secrets is not None else 0
        return f"Asana(secrets={configured}, store={self.store!r}, handshakes={self.handshakes!r})"

    def _candidates(self, request: HttpRequest) -> Secrets:
        values = list(self._secrets.values) if self._secrets is not None else []
        learned = self.store.get(self.key(request))
        if learned:
            values.append(learned)
        if not values:
            raise SignatureError("no secret is known for this webhook yet", reason="unknown_webhook")
        return Secrets(values)

    def verify(self, request: HttpRequest, *, now: float) -> int | None:
        if _handshake_secret(request) is not None:
            if self.handshakes == "off":
                raise SignatureError("handshakes are not accepted here", reason="handshake_refused")
            if self.handshakes == "first" and self.store.get(self.key(request)) is not None:
                raise SignatureError("this webhook already has a secret", reason="handshake_refused")
            return None  # unsigned by design: the secret is what the handshake brings
        return verify_hmac(
            request.body,
            request.header(SIGNATURE),
            secrets=self._candidates(request),
            header="X-Hook-Signature",
        )

    def decode(self, request: HttpRequest) -> Any:
        if _handshake_secret(request) is not None and not request.body.strip():
            return {}
        return super().decode(request)

    def handshake(self, request: HttpRequest, payload: Any) -> Reply | None:
        offered = _handshake_secret(request)
        if offered is None:
            return None
        if not self.store.put(self.key(request), offered, replace=self.handshakes == "replace"):
            raise SignatureError("this webhook already has a secret", reason="handshake_refused")
        return Reply(b"", status=200, headers=((HOOK_SECRET, offered.decode()),))

    def split(self, request: HttpRequest, payload: Any) -> Sequence[Any] | None:
        events = payload.get("events") if isinstance(payload, dict) else None
        if not isinstance(events, list):
            raise PayloadError("an Asana delivery carries an 'events' list", reason="bad_payload")
        return events or None  # an empty list is a heartbeat: one delivery

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        if isinstance(payload, dict) and payload.get("events") == []:
            return Identity(topic="heartbeat")
        kind = lookup(payload, "resource.resource_type")
        action = lookup(payload, "action")
        if not isinstance(kind, str) or not kind or not isinstance(action, str) or not action:
            raise PayloadError("an event without resource.resource_type and action", reason="missing_topic")
        return Identity(topic=f"{kind}.{action}", aliases=(kind,), meta=text_fields(payload, _META))

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
        """The POST Asana would send: one event ``<resource_type>.<action>`` on ``payload`` (the
        event's other fields), ``heartbeat`` for an empty list, or ``payload`` itself when it is
        a list of events. Signs with configured secret ``secret_index``; Asana sends no id."""
        if self._secrets is None:
            raise ConfigurationError("sign() needs a configured secret= (the handshake's secret)")
        if isinstance(payload, list):
            events = [event_dict(item) for item in payload]
        elif topic == "heartbeat":
            events = []
        else:
            event = event_dict(payload)
            kind, _, action = topic.partition(".")
            given = event.get("resource")
            resource: dict[str, Any] = given if isinstance(given, dict) else {}
            event["resource"] = {"gid": "1200000000000001", **resource, "resource_type": kind}
            event["action"] = action or "changed"
            event.setdefault("created_at", iso_time(timestamp, millis=True))
            event.setdefault("user", {"gid": "1200000000000002", "resource_type": "user"})
            events = [event]
        body = json_bytes({"events": events})
        headers = {
            "content-type": "application/json; charset=utf-8",
            SIGNATURE: hmac_digest("sha256", self._secrets.values[secret_index], body).hex(),
        }
        return HttpRequest.outgoing("POST", url, headers, body)

    def handshake_request(self, url: str, secret: str) -> HttpRequest:
        """The handshake Asana sends when a webhook on ``url`` is created (for tests)."""
        return HttpRequest.outgoing("POST", url, {HOOK_SECRET: secret, "content-type": "application/json"})
