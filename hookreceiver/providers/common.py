"""Small pieces the HMAC-over-the-body providers share (Bitbucket, Linear, Intercom, ...).

Nothing here verifies anything: each provider still names its own header, algorithm and
encoding. These only keep the repetitive parts of ``identify`` and ``sign`` in one place.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from hookreceiver.providers.base import lookup

__all__ = [
    "derived_uuid",
    "event_dict",
    "iso_time",
    "json_bytes",
    "parse_rfc3339",
    "refined_topic",
    "text_at",
    "text_fields",
]


def json_bytes(value: Any) -> bytes:
    """Compact JSON, as most senders post it (non-ASCII escaped)."""
    return json.dumps(value, separators=(",", ":")).encode()


def derived_uuid(*parts: object) -> str:
    """A UUID derived from ``parts``: the same inputs give the same id (repeatable test requests)."""
    seed = "\x1f".join(str(p) for p in parts).encode()
    return str(uuid.UUID(bytes=hashlib.sha256(seed).digest()[:16], version=4))


def event_dict(payload: Any, key: str = "data") -> dict[str, Any]:
    """A deep copy of a dict payload, or ``{key: payload}`` for anything else."""
    if isinstance(payload, dict):
        copied: dict[str, Any] = json.loads(json.dumps(payload))
        return copied
    return {key: payload}


def iso_time(timestamp: float, *, millis: bool = False) -> str:
    """``2023-11-14T22:13:20Z`` (``.000Z`` with ``millis``) for a Unix time."""
    when = datetime.fromtimestamp(int(timestamp), UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S") + (".000Z" if millis else "Z")


def text_at(payload: Any, path: str) -> str | None:
    """The value at a dotted path as text, if it is a non-empty string or an integer."""
    value = lookup(payload, path)
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        return None
    return str(value)


def text_fields(payload: Any, paths: Mapping[str, str]) -> dict[str, str]:
    """``{name: text}`` for each ``name -> dotted path`` that holds text (see ``text_at``)."""
    found = {name: text_at(payload, path) for name, path in paths.items()}
    return {name: value for name, value in found.items() if value is not None}


def refined_topic(kind: str, detail: Any) -> tuple[str, tuple[str, ...]]:
    """The topic ``kind.detail`` with the bare ``kind`` as its alias (so handlers for either
    pattern run), or ``kind`` alone when ``detail`` is not a non-empty string."""
    if isinstance(detail, str) and detail:
        return f"{kind}.{detail}", (kind,)
    return kind, ()


def parse_rfc3339(text: str | None) -> float | None:
    """``2023-11-14T22:13:20.634234626Z`` as Unix seconds (digits past microseconds dropped);
    ``None`` if absent, unreadable or without a time zone."""
    if not text:
        return None
    head, dot, rest = text.strip().partition(".")
    if dot:
        digits = "".join(c for c in rest if c.isdigit())
        head = f"{head}.{digits[:6]}{rest[len(digits) :]}"
    try:
        parsed = datetime.fromisoformat(head.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed.timestamp() if parsed.tzinfo is not None else None
