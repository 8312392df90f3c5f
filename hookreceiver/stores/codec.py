"""Delivery <-> bytes, for stores that keep deliveries outside the process.

JSON with the body in base64: the exact bytes survive, and any store can read any other's records.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable
from typing import Any

from hookreceiver.core.delivery import Delivery
from hookreceiver.exceptions import StoreError

__all__ = ["dump_delivery", "load_delivery"]

_VERSION = 1

# Every field of Delivery, in its order; a field not named below is stored as its JSON value.
_FIELDS = tuple(f.name for f in dataclasses.fields(Delivery))
_ENCODE: dict[str, Callable[[Any], Any]] = {
    "body": lambda body: base64.b64encode(body).decode("ascii"),
    "headers": dict,
    "aliases": list,
    "meta": dict,
}
_DECODE: dict[str, Callable[[Any], Any]] = {"body": base64.b64decode, "aliases": tuple}


def _same(value: Any) -> Any:
    return value


def dump_delivery(delivery: Delivery) -> bytes:
    record: dict[str, Any] = {"v": _VERSION}
    for name in _FIELDS:
        record[name] = _ENCODE.get(name, _same)(getattr(delivery, name))
    return json.dumps(record, separators=(",", ":")).encode()


def load_delivery(data: bytes | str) -> Delivery:
    try:
        record = json.loads(data)
        if record.get("v") != _VERSION:
            raise ValueError(f"unknown record version {record.get('v')!r}")
        return Delivery(**{name: _DECODE.get(name, _same)(record[name]) for name in _FIELDS})
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StoreError(f"stored delivery record is corrupt: {exc}") from None
