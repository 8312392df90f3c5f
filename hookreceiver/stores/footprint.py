"""What one delivery really costs in memory, for the memory store's byte budget.

A decoded payload can weigh far more than its body: ``[[],[],...]`` spends 3 body bytes on a
56-byte list, and such a body holds ~22x its size once decoded. Walking the payload object by
object would cost more than decoding it, so :func:`payload_bytes` reads the payload's compact
JSON form instead (orjson, about a microsecond for a typical delivery) and charges each piece of
syntax the most CPython can spend on what it stands for:

    ``{``  a dict (with its first entries)   ``[``  a list (with spare capacity)
    ``,`` and ``:``  an item slot and a number that may sit in it (floats and big ints are objects)
    ``"``  a string object's header (two quotes per string)
    every byte  the text itself, times 1 for ASCII, 3 for other text (UCS-2 plus the UTF-8 copy
    CPython caches once the string is encoded, orjson included), 5 past the BMP (UCS-4 plus it)

The result is an upper bound, checked against ``tracemalloc`` in tests for pathological shapes
(empty lists, empty dicts, one-item containers, deep nesting, floats, non-ASCII); a typical
JSON payload is counted about twice what it takes.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from hookreceiver.core.delivery import Delivery

__all__ = ["RECORD_OVERHEAD", "delivery_bytes", "payload_bytes"]

DICT_COST = 192  # a dict object with its first entries (184 bytes in 3.11) and its slot
LIST_COST = 96  # a list object, its spare capacity for a few items, and its slot
ITEM_COST = 48  # one item's slot in its container, plus a number object that may fill it
STRING_COST = 56  # a str object's header (49-80 bytes; its text is counted per byte)
PAYLOAD_BASE = 256  # the outermost value, whatever it is
# The Delivery and the store's own bookkeeping around one record: the dataclass, its field
# values, the record, its key (twice: two indexes) and its queue entry (tracemalloc: ~0.8 kB).
RECORD_OVERHEAD = 1024
HEADER_COST = 160  # one header (or meta) item: two str objects and a dict entry, text apart
_ASTRAL = re.compile(rb"[\xf0-\xf4]")  # lead bytes of UTF-8 sequences past the BMP


def _compact_json(payload: Any) -> bytes:
    try:
        return orjson.dumps(payload)
    except (TypeError, orjson.JSONEncodeError):
        # Big integers, non-string keys, objects: the standard library writes (or str()s) them.
        return json.dumps(payload, default=str, ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8", "surrogatepass"
        )


# Every byte but the syntax that is charged: deleted first, the five counts read a short text.
_NOT_SYNTAX = bytes(byte for byte in range(256) if byte not in b'{[,:"')


def payload_bytes(payload: Any) -> int:
    """An upper bound on the memory ``payload`` (a decoded, JSON-like value) occupies."""
    text = _compact_json(payload)
    per_byte = 1 if text.isascii() else (5 if _ASTRAL.search(text) else 3)
    syntax = text.translate(None, _NOT_SYNTAX)
    return (
        PAYLOAD_BASE
        + DICT_COST * syntax.count(b"{")
        + LIST_COST * syntax.count(b"[")
        + ITEM_COST * (syntax.count(b",") + syntax.count(b":"))
        + STRING_COST * (syntax.count(b'"') // 2)
        + per_byte * len(text)
    )


def delivery_bytes(delivery: Delivery) -> int:
    """What keeping ``delivery`` costs: its exact body, its decoded payload, headers and the rest."""
    headers, meta = delivery.headers, delivery.meta
    items = len(headers) + len(meta)
    text = sum(map(len, headers)) + sum(map(len, headers.values()))
    text += sum(map(len, meta)) + sum(map(len, meta.values()))
    text += len(delivery.url) + len(delivery.topic) + 2 * len(delivery.delivery_id) + len(delivery.endpoint)
    text += sum(len(alias) for alias in delivery.aliases) + len(delivery.content_type)
    return (
        RECORD_OVERHEAD
        + len(delivery.body)
        + payload_bytes(delivery.payload)
        + HEADER_COST * items
        + 2 * text  # most of it ASCII; a generous bound for the rest
    )
