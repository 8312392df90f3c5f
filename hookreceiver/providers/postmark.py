"""Postmark: no signature; the webhook's HTTP basic-auth credentials, or a custom header token.

Postmark signs nothing. A webhook can carry basic-auth credentials (``HttpAuth``, or
``https://user:password@host/...``) and custom headers (``HttpHeaders``). By default ``secret``
is ``"user:password"`` and is checked against ``Authorization: Basic ...``; with ``header=`` it
is a token compared with that header instead. Both comparisons are constant-time, both values
are left out of stored deliveries, and neither covers the body or a time: use HTTPS.

Topics: ``RecordType`` (``Delivery``, ``Bounce``, ``SpamComplaint``, ``Open``, ``Click``,
``SubscriptionChange``), bounces refined by their ``Type`` (``Bounce.HardBounce``, alias
``Bounce``); an inbound message (no ``RecordType``) is ``Inbound``. Delivery ids: bounces and
complaints their ``ID``, inbound messages and deliveries their ``MessageID``; opens, clicks and
subscription changes (several per message) are deduplicated by a hash of the body.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from typing import Any, ClassVar

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import Secrets, verify_token
from hookreceiver.exceptions import ConfigurationError, PayloadError, SignatureError
from hookreceiver.providers.base import BaseProvider, Identity

__all__ = ["Postmark"]

INBOUND = "Inbound"
# RecordType -> the field whose value names one event (None: a hash of the body).
_ID_FIELDS = {"Bounce": "ID", "SpamComplaint": "ID", "Delivery": "MessageID", INBOUND: "MessageID"}


def _basic_credentials(header: str | None) -> str | None:
    """``user:password`` from ``Authorization: Basic <base64>``, or None when there is none."""
    scheme, _, value = (header or "").strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        return base64.b64decode(value.strip(), validate=True).decode("latin-1")
    except (binascii.Error, ValueError):
        raise SignatureError("Authorization is not valid basic auth", reason="bad_token") from None


class Postmark(BaseProvider):
    """Postmark webhooks (bounces, deliveries, opens, clicks, inbound messages).

    ``secret``: ``"user:password"`` for basic auth (a list while rotating); with ``header=`` (the
    name of a custom header set on the webhook), the header's token.
    """

    name: ClassVar[str] = "postmark"

    def __init__(
        self,
        *,
        secret: str | bytes | Iterable[str | bytes],
        header: str | None = None,
        formats: Iterable[Format] = ("json",),
    ) -> None:
        self._secrets = Secrets(secret)
        self.header = header.lower() if header else None
        if self.header is None and not all(b":" in value for value in self._secrets.values):
            raise ConfigurationError(
                "a Postmark basic-auth secret is 'user:password' (or pass header= for a custom header token)"
            )
        self.secret_headers = frozenset({self.header}) if self.header else frozenset()
        self.formats = frozenset(formats)

    def __repr__(self) -> str:
        via = f"header={self.header!r}" if self.header else "basic_auth"
        return f"Postmark(secrets={self._secrets!r}, {via})"

    def verify(self, request: HttpRequest, *, now: float) -> int:
        if self.header is not None:
            return verify_token(request.header(self.header), secrets=self._secrets, header=self.header)
        return verify_token(
            _basic_credentials(request.header("authorization")),
            secrets=self._secrets,
            header="Authorization (basic)",
        )

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        if not isinstance(payload, dict):
            raise PayloadError("a Postmark body is an object", reason="missing_topic")
        record = _record_type(payload)
        topic, aliases = _topic(record, payload)
        field = _ID_FIELDS.get(record)
        value = payload.get(field) if field else None
        delivery_id = f"{record}:{value}" if isinstance(value, str | int) and value != "" else None
        meta = {k: payload.get(k) for k in ("MessageID", "MessageStream", "Recipient", "Email")}
        return Identity(
            topic=topic,
            aliases=aliases,
            delivery_id=delivery_id,
            meta={k.lower(): v for k, v in meta.items() if isinstance(v, str) and v},
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
        """The POST Postmark would send: ``topic`` sets ``RecordType`` (and a bounce's ``Type``;
        ``Inbound`` has none); ``delivery_id`` sets the field the id is read from."""
        value: dict[str, Any] = json.loads(json.dumps(payload)) if isinstance(payload, dict) else {}
        record, _, detail = topic.partition(".")
        if record == INBOUND:
            value.pop("RecordType", None)
            value.setdefault("From", "sender@example.com")
            value.setdefault("MessageID", "00000000-0000-0000-0000-000000000000")
        else:
            value["RecordType"] = record
        if detail:
            value["Type"] = detail
        field = _ID_FIELDS.get(record)
        if delivery_id and field:
            value[field] = int(delivery_id) if field == "ID" and delivery_id.isdigit() else delivery_id
        body = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        secret = self._secrets.values[secret_index]
        headers = {"content-type": "application/json", "user-agent": "Postmark"}
        if self.header is not None:
            headers[self.header] = secret.decode("latin-1")
        else:
            headers["authorization"] = "Basic " + base64.b64encode(secret).decode("ascii")
        return HttpRequest.outgoing("POST", url, headers, body)


def _record_type(payload: dict[str, Any]) -> str:
    """The ``RecordType``; an inbound message has none, but a ``MessageID`` and a ``From``."""
    record = payload.get("RecordType")
    if record is None and "MessageID" in payload and "From" in payload:
        record = INBOUND
    if not isinstance(record, str) or not record:
        raise PayloadError("the body has no RecordType", reason="missing_topic")
    return record


def _topic(record: str, payload: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """``Bounce.<Type>`` (alias ``Bounce``) for a typed bounce, else the record type itself."""
    bounce_type = payload.get("Type")
    if record == "Bounce" and isinstance(bounce_type, str) and bounce_type:
        return f"Bounce.{bounce_type}", ("Bounce",)
    return record, ()
