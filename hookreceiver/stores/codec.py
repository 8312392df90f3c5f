"""Delivery <-> bytes, for stores that keep deliveries outside the process.

JSON with the body in base64: the exact bytes survive, and any store can read any other's records.
orjson writes and reads them (several times faster than ``json``, and every delivery passes
through here twice). orjson reads integers past 64 bits as floats, so only records it wrote
itself (marked ``"o":1`` right after the version) are read back with it; it refuses to write such
integers, so a record holding one is written, and read, by ``json``.
"""

from __future__ import annotations

import binascii
import dataclasses
import json
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import orjson

from hookreceiver.core.delivery import Delivery
from hookreceiver.exceptions import StoreError

__all__ = ["dump_delivery", "load_delivery"]

_VERSION = 1

# Every field of Delivery, in its order; a field not named below is stored as its JSON value.
_FIELDS = tuple(f.name for f in dataclasses.fields(Delivery))
_ENCODE: dict[str, Callable[[Any], Any]] = {
    "body": lambda body: binascii.b2a_base64(body, newline=False).decode("ascii"),
    "headers": dict,
    "aliases": list,
    "meta": dict,
}
# headers and meta are fresh dicts read from the record: wrapped as they are, Delivery copies
# nothing more (it copies any mapping that is not already a read-only proxy).
_DECODE: dict[str, Callable[[Any], Any]] = {
    "body": binascii.a2b_base64,
    "aliases": tuple,
    "headers": MappingProxyType,
    "meta": MappingProxyType,
}


_BY_ORJSON = b'{"v":%d,"o":1,' % _VERSION  # how a record orjson wrote begins


def dump_delivery(delivery: Delivery) -> bytes:
    record: dict[str, Any] = {"v": _VERSION, "o": 1, **{name: getattr(delivery, name) for name in _FIELDS}}
    for name, encode in _ENCODE.items():  # in place: the record keeps Delivery's field order
        record[name] = encode(record[name])
    try:
        return orjson.dumps(record)
    except (TypeError, orjson.JSONEncodeError):
        del record["o"]
        return json.dumps(record, separators=(",", ":")).encode()


def load_delivery(data: bytes | str, *, attempt: int | None = None) -> Delivery:
    """The delivery a record holds; ``attempt`` (if given) replaces the one stored in it."""
    try:
        raw = data.encode() if isinstance(data, str) else data
        record = orjson.loads(raw) if raw.startswith(_BY_ORJSON) else json.loads(raw)
        if record.get("v") != _VERSION:
            raise ValueError(f"unknown record version {record.get('v')!r}")
        if attempt is not None:
            record["attempt"] = attempt
        fields = {name: record[name] for name in _FIELDS}
        for name, decode in _DECODE.items():
            fields[name] = decode(fields[name])
        return Delivery(**fields)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StoreError(f"stored delivery record is corrupt: {exc}") from None
