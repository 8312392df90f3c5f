"""The values that cross the core: an HTTP request in, a Delivery or a Reply out."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType
from typing import Any, Generic, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from typing_extensions import TypeVar

from hookreceiver.core.decoding import MAX_FORM_FIELDS, check_charset, parse_content_type
from hookreceiver.exceptions import PayloadError

__all__ = ["Delivery", "HttpRequest", "IdSource", "Reply", "body_hash_id", "delivery_key", "endpoint_path"]

IdSource = Literal["provider", "body_hash"]
# The payload's type: ``Any`` (the decoded body) unless a route validates it into a model.
P = TypeVar("P", default=Any)


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request as received: the exact body bytes and lower-cased headers.

    ``url`` is the public URL the sender called (scheme, host, path and query); URL-signing
    providers such as Twilio and Square sign it.
    """

    method: str
    url: str
    path: str
    headers: Mapping[str, str] = field(repr=False)  # may carry tokens (X-Gitlab-Token, Authorization)
    query_string: str = ""
    body: bytes = field(default=b"", repr=False)

    @classmethod
    def outgoing(
        cls,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes = b"",
        *,
        query: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    ) -> HttpRequest:
        """The request a sender sends to ``url``: what every provider's ``sign()`` returns.

        ``query`` parameters are URL-encoded and appended to the URL's own query string (``url``
        is kept as given when there are none); the path is read from the URL (``/`` if it has
        none), so the request is the one the receiver would see at that URL.
        """
        parts = urlsplit(url)
        extra = urlencode(list(query.items()) if isinstance(query, Mapping) else list(query))
        query_string = "&".join(q for q in (parts.query, extra) if q)
        if extra:
            url = f"{url.split('?')[0]}?{query_string}"
        return cls(method, url, parts.path or "/", headers, query_string, body)

    def header(self, name: str) -> str | None:
        """The header's value, looked up case-insensitively."""
        # Providers ask with lower-case constants: lower-case only a name not found as given.
        value = self.headers.get(name)
        if value is None and not name.islower():
            value = self.headers.get(name.lower())
        return value

    @cached_property
    def query(self) -> dict[str, str]:
        """The query string as a dict; a repeated name keeps its last value."""
        return dict(parse_qsl(self.query_string, keep_blank_values=True))

    @cached_property
    def form_pairs(self) -> tuple[tuple[str, str], ...]:
        """The body as form-encoded ``(name, value)`` pairs in order, decoded with the content
        type's charset; parsed once per request, however many checks read it (Twilio signs them).

        A charset that is not an ASCII-compatible text codec is refused (``check_charset``: 415)."""
        charset = check_charset(parse_content_type(self.content_type)[1].get("charset") or "utf-8")
        try:
            text = self.body.decode(charset)
            return tuple(
                parse_qsl(
                    text,
                    keep_blank_values=True,
                    encoding=charset,
                    errors="replace",
                    max_num_fields=MAX_FORM_FIELDS,
                )
            )
        except (ValueError, LookupError):
            raise PayloadError("the form body cannot be decoded") from None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass(frozen=True)
class Reply:
    """An HTTP response decided by the core or an inline handler (handshakes, TwiML, XML replies)."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    # For a handshake answered after verification: which secret matched (for the log line only).
    secret_index: int | None = field(default=None, compare=False)

    @classmethod
    def from_value(cls, value: Any) -> Reply | None:
        """An inline handler's return value as a Reply: ``str`` (text), ``bytes``, a dict or list
        (JSON) or a Reply; ``None`` keeps the default ack. Anything else is a ``TypeError``."""
        if value is None or isinstance(value, Reply):
            return value
        if isinstance(value, str):
            return cls.text(value)
        if isinstance(value, bytes):
            return cls(value, content_type="application/octet-stream")
        if isinstance(value, dict | list):
            return cls.json(value)
        raise TypeError(
            f"an inline handler returned {type(value).__name__}; expected Reply, str, bytes, dict or None"
        )

    @classmethod
    def text(cls, text: str, *, status: int = 200) -> Reply:
        return cls(text.encode(), status=status)

    @classmethod
    def xml(cls, text: str, *, status: int = 200) -> Reply:
        return cls(text.encode(), status=status, content_type="text/xml; charset=utf-8")

    @classmethod
    def json(cls, data: Any, *, status: int = 200) -> Reply:
        body = json.dumps(data, separators=(",", ":")).encode()
        return cls(body, status=status, content_type="application/json")


def endpoint_path(path: str) -> str:
    """A path as endpoints are keyed: without a trailing slash (``/`` stays ``/``)."""
    return path.rstrip("/") or "/"


def delivery_key(endpoint: str, delivery_id: str) -> str:
    """The dedupe key of a delivery: its endpoint's path, a colon, its delivery id."""
    return f"{endpoint}:{delivery_id}"


def body_hash_id(body: bytes, topic: str) -> str:
    """The dedupe id used when a provider sends none: identical content dedupes."""
    # The topic's length goes first so no other (topic, body) pair hashes the same bytes.
    name = topic.encode()
    digest = hashlib.sha256(b"%d:" % len(name) + name + body).hexdigest()
    return f"sha256:{digest[:40]}"


@dataclass(frozen=True)
class Delivery(Generic[P]):
    """One verified webhook delivery: what a handler receives.

    ``payload`` is the decoded body (JSON value, form dict, XML dict); ``body`` keeps the exact bytes.
    ``delivery_id`` comes from the provider where it sends one (``id_source == "provider"``), else it
    is a hash of topic and body (``"body_hash"``). ``attempt`` counts handler runs, from 1.
    ``Delivery[Model]`` is the type a handler registered with ``model=Model`` receives: the same
    delivery with ``payload`` validated into ``Model``; a bare ``Delivery`` is ``Delivery[Any]``.
    ``headers`` and ``meta`` are read-only mappings (copies of what was given), since several
    handlers see the same delivery. ``payload`` is the decoded value itself: handlers must not
    mutate it (copy it first), or the next handler sees the change.
    """

    endpoint: str
    provider: str
    topic: str
    delivery_id: str
    payload: P
    body: bytes = field(repr=False)
    method: str = "POST"
    url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    content_type: str = ""
    received_at: float = 0.0
    sent_at: float | None = None
    id_source: IdSource = "provider"
    aliases: tuple[str, ...] = ()
    meta: Mapping[str, str] = field(default_factory=dict)
    secret_index: int | None = None
    attempt: int = 1

    def __post_init__(self) -> None:
        # Frozen fields cannot be assigned; object.__setattr__ is the dataclass way at construction.
        # A proxy over a private copy: handlers cannot change what the next handler sees.
        # (dataclasses.replace passes our own proxies back in; those need no new copy.)
        if not isinstance(self.headers, MappingProxyType):
            object.__setattr__(self, "headers", MappingProxyType(dict(self.headers)))
        if not isinstance(self.meta, MappingProxyType):
            object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))

    @property
    def topics(self) -> tuple[str, ...]:
        """The topic followed by its aliases (GitHub: ``pull_request.opened``, ``pull_request``)."""
        return (self.topic, *self.aliases)

    @property
    def key(self) -> str:
        """The dedupe key: endpoint plus delivery id."""
        return delivery_key(self.endpoint, self.delivery_id)

    @property
    def query(self) -> dict[str, str]:
        _, _, query_string = self.url.partition("?")
        return dict(parse_qsl(query_string, keep_blank_values=True))

    def with_attempt(self, attempt: int) -> Delivery[P]:
        """This delivery as run number ``attempt``: itself when it is that attempt already (a
        frozen value, so nothing can tell; a new Delivery costs more than a store's admit)."""
        if attempt == self.attempt:
            return self
        return replace(self, attempt=attempt)
