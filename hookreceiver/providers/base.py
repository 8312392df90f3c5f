"""The Provider protocol, a base class with sensible defaults, and the one function that turns
an HTTP request into a Delivery (or a handshake Reply).

A provider answers four questions about a request, in this order:

1. ``verify``: is it authentic? Raise ``SignatureError``/``StaleTimestamp`` if not; return the
   index of the secret that matched (``None`` for unsigned endpoints).
2. ``decode``: what does the body (or the GET query) say?
3. ``handshake``: is it a handshake to answer directly (Slack ``url_verification``, WeChat
   ``echostr``)? Return a ``Reply``, else ``None``.
4. ``identify``: which topic, delivery id, send time and extras does it carry?

A provider whose one POST carries several events, each its own delivery (Adyen's notification
batches), also answers ``split``: the items, each then identified and admitted on its own.

The rest of the protocol has defaults in ``BaseProvider``, so a provider overrides only what it
needs: ``secret_headers`` (headers left out of the Delivery), ``peek_delivery_id`` (an unverified
id for a rejection's log line), ``ack`` (the response to an admitted delivery) and ``sign`` (the
sending side, for the testing kit and ``hookreceiver send``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, ClassVar, Protocol, runtime_checkable

from hookreceiver.core.decoding import Format, decode_body, decode_query
from hookreceiver.core.delivery import Delivery, HttpRequest, Reply, body_hash_id
from hookreceiver.exceptions import MethodNotAllowed, PayloadError

__all__ = [
    "SECRET_HEADERS",
    "URL_METHODS",
    "BaseProvider",
    "Identity",
    "Provider",
    "ProviderFactory",
    "Signer",
    "lookup",
    "read_verified",
    "receive",
    "receive_all",
]

# Methods whose payload is the query string; a body on them is refused (see BaseProvider.decode).
URL_METHODS = frozenset({"GET", "HEAD", "DELETE"})
# Credentials that may reach a webhook endpoint from a proxy or a browser; ``receive`` always
# leaves them out of the Delivery (besides each provider's own ``secret_headers``).
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


@dataclass(frozen=True)
class Identity:
    """What a provider says a delivery is: topic, id (``None`` if it sends none) and extras."""

    topic: str
    delivery_id: str | None = None
    aliases: tuple[str, ...] = ()
    sent_at: float | None = None
    meta: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class Signer(Protocol):
    """The sending side of a provider, for the testing kit and ``hookreceiver send``.

    ``sign`` builds the request the real provider would send for ``payload`` (a decoded value),
    placing ``topic`` and ``delivery_id`` where the provider keeps them and signing with the
    configured secret number ``secret_index`` at time ``timestamp``.
    """

    def sign(
        self,
        payload: Any,
        *,
        topic: str,
        delivery_id: str | None = None,
        timestamp: float,
        url: str,
        secret_index: int = 0,
    ) -> HttpRequest: ...


@runtime_checkable
class Provider(Signer, Protocol):
    """What an endpoint needs from a provider adapter: the receiving side, and ``sign`` (``Signer``).

    Subclass ``BaseProvider`` for the defaults of everything but ``verify`` and ``identify``.
    """

    @property
    def name(self) -> str: ...  # read-only, so a ClassVar on the provider class satisfies it

    methods: frozenset[str]
    unsigned: bool
    secret_headers: frozenset[str]

    def verify(self, request: HttpRequest, *, now: float) -> int | None: ...

    def decode(self, request: HttpRequest) -> Any: ...

    def handshake(self, request: HttpRequest, payload: Any) -> Reply | None: ...

    def identify(self, request: HttpRequest, payload: Any) -> Identity: ...

    def split(self, request: HttpRequest, payload: Any) -> Sequence[Any] | None: ...

    def peek_delivery_id(self, request: HttpRequest) -> str | None: ...

    def ack(self, delivery: Delivery, reply: Reply | None) -> Reply | None: ...


class ProviderFactory(Protocol):
    """How the ``PROVIDERS`` name table builds a provider: a class taking its secret(s) as ``secret=``
    (every other option has a default)."""

    def __call__(self, *, secret: str | bytes | Iterable[str | bytes]) -> Provider: ...


class BaseProvider:
    """Defaults for a provider: POST only, JSON/form/XML bodies, GET query payloads, no handshake."""

    name: ClassVar[str] = "base"
    methods: frozenset[str] = frozenset({"POST"})
    formats: frozenset[Format] = frozenset({"json", "form", "xml"})
    unsigned: bool = False
    # Lower-cased headers that carry a secret (GitLab's token): used by ``verify``, then left out
    # of the Delivery, so they reach neither the store nor handlers.
    # ``SECRET_HEADERS`` (Authorization, Cookie ...) are left out for every provider as well.
    secret_headers: frozenset[str] = frozenset()

    def decode(self, request: HttpRequest) -> Any:
        """The body, or the query string for GET, HEAD and DELETE (which must have no body).

        URL-signed schemes (Twilio's GET callbacks) sign no body bytes, so a body on such a
        request is refused rather than decoded: otherwise a captured signed URL could be
        replayed with any payload.
        """
        if request.method in URL_METHODS:
            if request.body:
                raise PayloadError(
                    f"a {request.method} request carries its payload in the query, not a body",
                    reason="unexpected_body",
                )
            return decode_query(request.query_string)
        return decode_body(request.body, request.content_type, accept=self.formats)

    def handshake(self, request: HttpRequest, payload: Any) -> Reply | None:
        return None

    def split(self, request: HttpRequest, payload: Any) -> Sequence[Any] | None:
        """The items of a batched POST, each its own delivery, or ``None`` (the default): one
        delivery whose payload is the whole body. ``identify`` is then called once per item."""
        return None

    def peek_delivery_id(self, request: HttpRequest) -> str | None:
        """The delivery id as the request states it, read without verifying or decoding anything.

        Only for logging a rejection, marked unverified there. Pure, must not raise; read headers
        or the query, never the body. ``None`` (the default) when the provider cannot name one.
        """
        return None

    def ack(self, delivery: Delivery, reply: Reply | None) -> Reply | None:
        """The response to an admitted delivery, given the inline handler's reply (or ``None``).

        Providers whose senders want a particular answer override it, e.g. WeChat's literal
        ``success`` or an empty TwiML document. Returning ``None`` keeps the JSON ack.
        """
        return reply

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
        """The request the real sender would send (see ``Signer``); build it with
        ``HttpRequest.outgoing``. The default raises ``NotImplementedError``: write one, since the
        testing kit and ``hookreceiver send`` use it."""
        raise NotImplementedError(f"the {self.name} provider cannot sign requests (it has no sign())")


def lookup(payload: Any, path: str) -> Any:
    """Follow a dotted path (``data.object.id``; list items by index) through a decoded payload."""
    value = payload
    for part in path.split("."):
        if isinstance(value, dict):  # what decoders produce: no ABC check on the hot path
            if part not in value:
                return None
            value = value[part]
        elif isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def receive(provider: Provider, request: HttpRequest, *, endpoint: str, now: float) -> Delivery | Reply:
    """Verify, decode and identify one request: a Delivery, or a Reply for a handshake.

    Raises a ``DeliveryError`` subclass for anything the sender got wrong. ``now`` is the
    receiver's clock, used for timestamp windows and as ``received_at``. A batch of one item is
    that item's Delivery; a larger batch is refused here (use ``receive_all``, as the ASGI app does).
    """
    outcome = receive_all(provider, request, endpoint=endpoint, now=now)
    if isinstance(outcome, Reply):
        return outcome
    if len(outcome) != 1:
        raise PayloadError(f"the request carries {len(outcome)} deliveries; use receive_all", reason="batch")
    return outcome[0]


def receive_all(
    provider: Provider, request: HttpRequest, *, endpoint: str, now: float
) -> tuple[Delivery, ...] | Reply:
    """Verify, decode and identify one request: its deliveries (one unless the provider splits a
    batch, in the sender's order), or a Reply for a handshake. Raises like ``receive``."""
    if request.method not in provider.methods:
        raise MethodNotAllowed(f"{request.method} is not accepted here")
    secret_index = provider.verify(request, now=now)
    return read_verified(provider, request, endpoint=endpoint, now=now, secret_index=secret_index)


def read_verified(
    provider: Provider, request: HttpRequest, *, endpoint: str, now: float, secret_index: int | None = None
) -> tuple[Delivery, ...] | Reply:
    """The rest of ``receive_all`` once ``verify`` passed (it matched ``secret_index``): decode,
    answer a handshake, split and identify. The testing kit uses it to name what a receiver
    accepted without verifying again."""
    payload = provider.decode(request)
    reply = provider.handshake(request, payload)
    if reply is not None:
        return replace(reply, secret_index=secret_index)
    items = provider.split(request, payload)
    if items is None:
        return (
            _delivery(
                provider, request, payload, endpoint=endpoint, now=now, secret_index=secret_index, item=None
            ),
        )
    if not items:
        raise PayloadError("the batch holds no items", reason="empty_batch")
    return tuple(
        _delivery(
            provider,
            request,
            item,
            endpoint=endpoint,
            now=now,
            secret_index=secret_index,
            item=(number, len(items)),
        )
        for number, item in enumerate(items)
    )


def _delivery(
    provider: Provider,
    request: HttpRequest,
    payload: Any,
    *,
    endpoint: str,
    now: float,
    secret_index: int | None,
    item: tuple[int, int] | None,
) -> Delivery:
    identity = provider.identify(request, payload)
    if not identity.topic:
        raise PayloadError("the delivery names no topic", reason="missing_topic")
    delivery_id = identity.delivery_id
    id_source: Any = "provider"
    meta = dict(identity.meta)
    if item is not None:
        meta.update(batch_index=str(item[0]), batch_size=str(item[1]))
    if not delivery_id:
        # A batch item is hashed on its own content: the body is the same for every item.
        content = (
            json.dumps(payload, sort_keys=True, default=str).encode()
            if item is not None
            else request.body or request.query_string.encode()
        )
        delivery_id, id_source = body_hash_id(content, identity.topic), "body_hash"
    secret_headers = provider.secret_headers
    # Read-only proxies over fresh copies: Delivery keeps them as they are instead of copying again.
    # Most requests carry no secret header: one C-level copy then, the filter otherwise.
    kept = request.headers
    if SECRET_HEADERS.isdisjoint(kept) and secret_headers.isdisjoint(kept):
        headers = MappingProxyType(dict(kept))
    else:
        headers = MappingProxyType(
            {k: v for k, v in kept.items() if k not in SECRET_HEADERS and k not in secret_headers}
        )
    return Delivery(
        endpoint=endpoint,
        provider=provider.name,
        topic=identity.topic,
        delivery_id=delivery_id,
        payload=payload,
        body=request.body,
        method=request.method,
        url=request.url,
        headers=headers,
        content_type=request.content_type,
        received_at=now,
        sent_at=identity.sent_at,
        id_source=id_source,
        aliases=identity.aliases,
        meta=MappingProxyType(meta),
        secret_index=secret_index,
    )
