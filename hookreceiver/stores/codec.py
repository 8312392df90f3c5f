"""Delivery <-> bytes, for stores that keep deliveries outside the process.

JSON with the body in base64: the exact bytes survive, and any store can read any other's records.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from hookreceiver.core.delivery import Delivery
from hookreceiver.exceptions import StoreError

__all__ = ["dump_delivery", "load_delivery"]

_VERSION = 1


def dump_delivery(delivery: Delivery) -> bytes:
    record: dict[str, Any] = {
        "v": _VERSION,
        "endpoint": delivery.endpoint,
        "provider": delivery.provider,
        "topic": delivery.topic,
        "delivery_id": delivery.delivery_id,
        "payload": delivery.payload,
        "body": base64.b64encode(delivery.body).decode("ascii"),
        "method": delivery.method,
        "url": delivery.url,
        "headers": dict(delivery.headers),
        "content_type": delivery.content_type,
        "received_at": delivery.received_at,
        "sent_at": delivery.sent_at,
        "id_source": delivery.id_source,
        "aliases": list(delivery.aliases),
        "meta": dict(delivery.meta),
        "secret_index": delivery.secret_index,
        "attempt": delivery.attempt,
    }
    return json.dumps(record, separators=(",", ":")).encode()


def load_delivery(data: bytes | str) -> Delivery:
    try:
        record = json.loads(data)
        if record.get("v") != _VERSION:
            raise ValueError(f"unknown record version {record.get('v')!r}")
        return Delivery(
            endpoint=record["endpoint"],
            provider=record["provider"],
            topic=record["topic"],
            delivery_id=record["delivery_id"],
            payload=record["payload"],
            body=base64.b64decode(record["body"]),
            method=record["method"],
            url=record["url"],
            headers=record["headers"],
            content_type=record["content_type"],
            received_at=record["received_at"],
            sent_at=record["sent_at"],
            id_source=record["id_source"],
            aliases=tuple(record["aliases"]),
            meta=record["meta"],
            secret_index=record["secret_index"],
            attempt=record["attempt"],
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StoreError(f"stored delivery record is corrupt: {exc}") from None
