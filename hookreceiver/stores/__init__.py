"""Stores: dedupe claims plus the durable inbox. ``MemoryStore`` is embedded; ``RedisStore`` scales."""

from hookreceiver.stores.base import Admission, ClaimState, DeadLetter, Job, Store
from hookreceiver.stores.from_settings import store_from_settings
from hookreceiver.stores.memory import MemoryStore

__all__ = ["Admission", "ClaimState", "DeadLetter", "Job", "MemoryStore", "Store", "store_from_settings"]
