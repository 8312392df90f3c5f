"""The pure, synchronous core: values, signing, decoding and routing.

Nothing in this package does I/O, reads a clock or the environment, or imports starlette or redis.
"""

from hookreceiver.core.delivery import Delivery, HttpRequest, Reply, body_hash_id, delivery_key, endpoint_path
from hookreceiver.core.routing import Route, Router, matches, validate_pattern
from hookreceiver.core.signing import Secrets

__all__ = [
    "Delivery",
    "HttpRequest",
    "Reply",
    "Route",
    "Router",
    "Secrets",
    "body_hash_id",
    "delivery_key",
    "endpoint_path",
    "matches",
    "validate_pattern",
]
