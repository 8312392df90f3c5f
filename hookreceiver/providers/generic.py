"""Generic: a configurable HMAC provider for any sender without an adapter of its own.

Where the topic and delivery id come from is written as a *source*: ``header:NAME``,
``body:dotted.path``, ``query:NAME`` or ``const:VALUE``. What is signed is a template over the
placeholders ``{body}``, ``{timestamp}``, ``{id}``, ``{topic}``, ``{url}`` and ``{method}``.

A timestamp header is only checked for freshness when the template signs it (otherwise anyone
could rewrite it on a captured request). A topic or id read from a header or the query that the
template does not cover is logged as a warning when the provider is built: a captured request can
be replayed under a new id (past dedupe) or topic. ``"{id}.{timestamp}.{body}"`` covers them all.

A GET (or HEAD, DELETE) delivery carries its payload in the query string and has no body, so a
signature over ``{body}`` alone would fit every query. An endpoint that accepts those methods
therefore signs ``"{method} {url}\\n{body}"`` by default, and a ``signed_content`` without
``{url}`` is refused for it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, ClassVar, cast

from hookreceiver.core.decoding import Format
from hookreceiver.core.delivery import HttpRequest
from hookreceiver.core.signing import (
    Algorithm,
    Encoding,
    Secrets,
    SecretValue,
    check_timestamp,
    encode_digest,
    hmac_digest,
    parse_timestamp,
    verify_hmac,
)
from hookreceiver.exceptions import ConfigurationError, PayloadError
from hookreceiver.providers.base import URL_METHODS, BaseProvider, Identity, lookup

__all__ = ["Generic", "Source"]

_KINDS = ("header", "body", "query", "const")
_FORMATS = ("json", "form", "xml")
BODY_SIGNED = "{body}"
URL_SIGNED = "{method} {url}\n{body}"
_PLACEHOLDERS = ("body", "timestamp", "id", "topic", "url", "method")
log = logging.getLogger(__name__)
_PLACEHOLDER = re.compile(r"\{(" + "|".join(_PLACEHOLDERS) + r")\}")


class Source:
    """Where a value lives in a request: ``header:NAME``, ``body:PATH``, ``query:NAME``, ``const:V``."""

    __slots__ = ("kind", "name")

    def __init__(self, spec: str) -> None:
        kind, sep, name = spec.partition(":")
        if not sep or kind not in _KINDS or not name:
            raise ConfigurationError(
                f"invalid source {spec!r}: use header:NAME, body:dotted.path, query:NAME or const:VALUE"
            )
        self.kind = kind
        self.name = name.lower() if kind == "header" else name

    def read(self, request: HttpRequest, payload: Any) -> str | None:
        value: Any
        if self.kind == "header":
            value = request.header(self.name)
        elif self.kind == "query":
            value = request.query.get(self.name)
        elif self.kind == "body":
            value = lookup(payload, self.name)
        else:
            value = self.name
        if value is None or isinstance(value, dict | list) or value == "":
            return None
        return str(value)

    def __repr__(self) -> str:
        return f"Source('{self.kind}:{self.name}')"

    def place(self, value: str, payload: Any, headers: dict[str, str], query: dict[str, str]) -> None:
        """Put ``value`` where this source reads it from (the sending side)."""
        if self.kind == "header":
            headers[self.name] = value
        elif self.kind == "query":
            query[self.name] = value
        elif self.kind == "body" and isinstance(payload, dict):
            *parents, leaf = self.name.split(".")
            node = payload
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value


def _names(option: str, values: Iterable[str], *, upper: bool = False) -> frozenset[str]:
    """A set of option names; a bare string is refused (``"GET"`` would be ``{"G", "E", "T"}``)."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ConfigurationError(
            f"{option} must be a collection such as ({values!r},), not {type(values).__name__} {values!r}"
        )
    names = list(values)
    if not all(isinstance(v, str) for v in names):
        raise ConfigurationError(f"{option} must be strings, not {names!r}")
    return frozenset(v.upper() if upper else v for v in names)


def _template(
    signed_content: str | None,
    *,
    in_url: frozenset[str],
    unsigned: bool,
    timestamp_header: str | None,
    tolerance: float,
    sources: dict[str, str | None],
) -> str:
    """The ``signed_content`` to use: the default for the methods, or the given one once checked."""
    if signed_content is None:
        signed_content = URL_SIGNED if in_url and not unsigned else BODY_SIGNED
    unknown = set(re.findall(r"\{(\w*)\}", signed_content)) - set(_PLACEHOLDERS)
    if unknown:
        raise ConfigurationError(f"signed_content has unknown placeholders: {sorted(unknown)}")
    if in_url and not unsigned and "{url}" not in signed_content:
        raise ConfigurationError(
            f"this endpoint accepts {', '.join(sorted(in_url))}, whose payload is in the URL: "
            "signed_content must include {url}, or one signature fits every query"
        )
    _check_signed_time(
        signed_content, timestamp_header=timestamp_header, checked=not unsigned and tolerance > 0
    )
    _check_signed_sources(signed_content, sources)
    return signed_content


def _check_signed_time(signed_content: str, *, timestamp_header: str | None, checked: bool) -> None:
    """``{timestamp}`` needs a ``timestamp_header``; a header whose freshness is ``checked`` must be
    signed, or a captured request passes with a rewritten timestamp."""
    if "{timestamp}" in signed_content and timestamp_header is None:
        raise ConfigurationError("signed_content uses {timestamp}: set timestamp_header")
    if timestamp_header is not None and checked and "{timestamp}" not in signed_content:
        raise ConfigurationError(
            "timestamp_header is checked for freshness but signed_content does not sign it, so a "
            "captured request passes with a rewritten timestamp: add {timestamp} to signed_content "
            "(e.g. '{id}.{timestamp}.{body}'), or use sent_at='header:NAME' to only read it"
        )


def _check_signed_sources(signed_content: str, sources: dict[str, str | None]) -> None:
    """A signed ``{id}`` or ``{topic}`` must come from a header, the query or a constant: the
    body is decoded only after verification."""
    for placeholder, spec in sources.items():
        if f"{{{placeholder}}}" in signed_content and (spec is None or spec.startswith("body:")):
            option = "delivery_id" if placeholder == "id" else placeholder
            raise ConfigurationError(
                f"signed_content uses {{{placeholder}}}: set {option} to a header:, query: or const: source"
            )


def _check_secret(secret: object, *, unsigned: bool) -> None:
    """Exactly one of a secret and ``unsigned=True``."""
    if unsigned and secret is not None:
        raise ConfigurationError("pass either a secret or unsigned=True, not both")
    if not unsigned and secret is None:
        raise ConfigurationError("Generic needs a secret; pass unsigned=True to accept unverified deliveries")


def _check_hmac(algorithm: str, encoding: str) -> None:
    """An HMAC algorithm and a signature encoding Generic supports."""
    if algorithm not in ("sha1", "sha256", "sha512"):
        raise ConfigurationError(f"unsupported algorithm {algorithm!r}")
    if encoding not in ("hex", "base64"):
        raise ConfigurationError(f"unsupported encoding {encoding!r}")


def _method_names(methods: Iterable[str]) -> frozenset[str]:
    """The upper-cased HTTP method names, at least one, each a plain ASCII word."""
    names = _names("methods", methods, upper=True)
    if not names or any(not m.isalpha() or not m.isascii() for m in names):
        raise ConfigurationError(
            f"methods must be HTTP method names such as ('GET', 'POST'), not {sorted(names)!r}"
        )
    return names


def _format_names(formats: Iterable[Format]) -> frozenset[str]:
    """The body formats, each one the decoders know."""
    names = _names("formats", formats)
    if not names <= set(_FORMATS):
        raise ConfigurationError(f"unknown formats {sorted(names - set(_FORMATS))}: use some of {_FORMATS}")
    return names


class Generic(BaseProvider):
    """A configurable HMAC provider; see the module docstring for sources and templates.

    ``tolerance`` is the timestamp window in seconds when ``timestamp_header`` is set; 0 or less
    turns the time check off (the timestamp is still read, and signed if the template has it).

    >>> Generic(secret="s3cret", signature_header="x-signature", topic="body:event")
    Generic(topic='body:event', delivery_id=None, signature_header='x-signature', ...)
    """

    name: ClassVar[str] = "generic"

    def __init__(
        self,
        *,
        secret: SecretValue | Iterable[SecretValue] | None = None,
        signature_header: str = "x-signature",
        algorithm: Algorithm = "sha256",
        encoding: Encoding = "hex",
        prefix: str = "",
        signed_content: str | None = None,
        timestamp_header: str | None = None,
        tolerance: float = 300.0,
        topic: str = "body:type",
        delivery_id: str | None = None,
        sent_at: str | None = None,
        methods: Iterable[str] = ("POST",),
        formats: Iterable[Format] = ("json", "form", "xml"),
        unsigned: bool = False,
    ) -> None:
        _check_secret(secret, unsigned=unsigned)
        _check_hmac(algorithm, encoding)
        method_names = _method_names(methods)
        format_names = _format_names(formats)
        signed_content = _template(
            signed_content,
            in_url=method_names & URL_METHODS,
            unsigned=unsigned,
            timestamp_header=timestamp_header,
            tolerance=tolerance,
            sources={"id": delivery_id, "topic": topic},
        )
        self._secrets = None if secret is None else Secrets(secret)
        self.unsigned = unsigned
        self.signature_header = signature_header.lower()
        self.algorithm: Algorithm = algorithm
        self.encoding: Encoding = encoding
        self.prefix = prefix
        self.signed_content = signed_content
        self.timestamp_header = timestamp_header.lower() if timestamp_header else None
        self.tolerance = tolerance
        self.topic = Source(topic)
        self.delivery_id = Source(delivery_id) if delivery_id else None
        self.sent_at = Source(sent_at) if sent_at else None
        self.methods = method_names
        self.formats = cast("frozenset[Format]", format_names)
        self._topic_spec, self._id_spec = topic, delivery_id
        if not unsigned:
            self._warn_unsigned_sources()

    def _warn_unsigned_sources(self) -> None:
        """Log a warning for each topic or id source the signature does not cover."""
        template = self.signed_content
        for option, placeholder, source in (
            ("delivery_id", "{id}", self.delivery_id),
            ("topic", "{topic}", self.topic),
        ):
            if source is None or source.kind == "const" or placeholder in template:
                continue
            covered = (source.kind == "body" and "{body}" in template) or (
                source.kind == "query" and "{url}" in template
            )
            if not covered:
                risk = "delivery id, past dedupe" if option == "delivery_id" else "topic"
                log.warning(
                    "Generic %s='%s:%s' is not covered by signed_content %r: a captured request can "
                    "be replayed under another %s; sign it, e.g. signed_content='%s.{timestamp}.{body}' "
                    "with a timestamp_header",
                    option,
                    source.kind,
                    source.name,
                    template,
                    risk,
                    placeholder,
                )

    def __repr__(self) -> str:
        return (
            f"Generic(topic={self._topic_spec!r}, delivery_id={self._id_spec!r}, "
            f"signature_header={self.signature_header!r}, ...)"
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
        """Build the request a sender configured like this endpoint would send.

        A POST (when the endpoint takes POST) has a JSON body. Otherwise the request is a GET (or
        the endpoint's one method) whose query string carries the payload's fields: strings as
        they are, other values as JSON text; the signature then covers the URL.
        """
        payload = json.loads(json.dumps(payload))  # a copy we may write into
        headers: dict[str, str] = {}
        query: dict[str, str] = {}
        self.topic.place(topic, payload, headers, query)
        if delivery_id and self.delivery_id is not None:
            self.delivery_id.place(delivery_id, payload, headers, query)
        stamp = str(int(timestamp))
        if self.timestamp_header:
            headers[self.timestamp_header] = stamp
        method = (
            "POST"
            if "POST" in self.methods
            else ("GET" if "GET" in self.methods else sorted(self.methods)[0])
        )
        body = b""
        if method in URL_METHODS:
            if not isinstance(payload, dict):
                raise ValueError(f"a {method} delivery carries a JSON object's fields in its query")
            fields = {
                k: v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
                for k, v in payload.items()
            }
            query = {**fields, **query}  # where a source placed the topic or id, that value wins
        else:
            headers["content-type"] = "application/json"
            body = json.dumps(payload, separators=(",", ":")).encode()
        request = HttpRequest.outgoing(method, url, headers, body, query=query)
        if self._secrets is None:
            return request
        key = self._secrets.values[secret_index]
        digest = hmac_digest(self.algorithm, key, self._message(request, stamp))
        signature = self.prefix + encode_digest(digest, self.encoding)
        return replace(request, headers={**headers, self.signature_header: signature})

    def _message(self, request: HttpRequest, timestamp: str) -> bytes:
        values = {
            "body": request.body,
            "timestamp": timestamp.encode(),
            "id": (self.delivery_id.read(request, None) or "").encode() if self.delivery_id else b"",
            "topic": (self.topic.read(request, None) or "").encode(),
            "url": request.url.encode(),
            "method": request.method.encode(),
        }
        parts = _PLACEHOLDER.split(self.signed_content)
        # split() alternates literal text and placeholder names.
        return b"".join(values[part] if i % 2 else part.encode() for i, part in enumerate(parts))

    def verify(self, request: HttpRequest, *, now: float) -> int | None:
        if self._secrets is None:
            return None
        timestamp = ""
        if self.timestamp_header:
            timestamp = request.header(self.timestamp_header) or ""
            sent = parse_timestamp(timestamp, header=self.timestamp_header)
        index = verify_hmac(
            self._message(request, timestamp),
            request.header(self.signature_header),
            secrets=self._secrets,
            algorithm=self.algorithm,
            encoding=self.encoding,
            prefix=self.prefix,
            header=self.signature_header,
        )
        # Time is checked after the signature so an attacker learns nothing from the timing.
        if self.timestamp_header:
            check_timestamp(sent, now=now, tolerance=self.tolerance)
        return index

    def peek_delivery_id(self, request: HttpRequest) -> str | None:
        """The id from a ``header:`` or ``query:`` source, unverified (for rejection log lines)."""
        if self.delivery_id is None or self.delivery_id.kind not in ("header", "query"):
            return None
        return self.delivery_id.read(request, None)

    def identify(self, request: HttpRequest, payload: Any) -> Identity:
        topic = self.topic.read(request, payload)
        if topic is None:
            raise PayloadError(f"no topic at {self._topic_spec}", reason="missing_topic")
        delivery_id = self.delivery_id.read(request, payload) if self.delivery_id else None
        sent_at = None
        if self.sent_at is not None:
            raw = self.sent_at.read(request, payload)
            try:
                sent_at = float(raw) if raw is not None else None
            except ValueError:
                sent_at = None
        elif self.timestamp_header:
            raw = request.header(self.timestamp_header)
            try:
                sent_at = float(raw) if raw else None
            except ValueError:  # unsigned endpoints do not validate the header first
                sent_at = None
        return Identity(topic=topic, delivery_id=delivery_id, sent_at=sent_at)
