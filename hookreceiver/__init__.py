"""hookreceiver: a receiver-side webhook framework.

Verify every delivery over its raw bytes, dedupe it by the provider's delivery id, store it
durably, answer 2xx fast, and run handlers afterwards with retries, dead letters and replay.
"""

from hookreceiver.core.delivery import Delivery, HttpRequest, Reply
from hookreceiver.core.routing import Router
from hookreceiver.exceptions import (
    ConfigurationError,
    DeliveryError,
    HookReceiverError,
    PayloadError,
    SignatureError,
    StaleTimestamp,
    StoreUnavailable,
)
from hookreceiver.receiver import Endpoint, HookReceiver
from hookreceiver.settings import Settings
from hookreceiver.stores.base import Admission, ClaimState, Store
from hookreceiver.stores.memory import MemoryStore
from hookreceiver.worker import Outcome, RetryPolicy, Worker

__version__ = "0.1.0"

__all__ = [
    "Admission",
    "ClaimState",
    "ConfigurationError",
    "Delivery",
    "DeliveryError",
    "Endpoint",
    "HookReceiver",
    "HookReceiverError",
    "HttpRequest",
    "MemoryStore",
    "Outcome",
    "PayloadError",
    "Reply",
    "RetryPolicy",
    "Router",
    "Settings",
    "SignatureError",
    "StaleTimestamp",
    "Store",
    "StoreUnavailable",
    "Worker",
    "__version__",
]
